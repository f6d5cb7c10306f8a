#include "sluice/io/parquet/writer_statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "sluice/io/parquet/dictionary_encoder.h"

namespace sluice::parquet {
namespace {

WriterColumn StringColumn() {
  WriterColumn column;
  column.physical_type = PhysicalType::kByteArray;
  column.sort_order = SortOrder::kUnsigned;
  return column;
}

PhysicalValues Strings(const std::vector<std::string>& values) {
  PhysicalValues out;
  for (const std::string& v : values) out.binary.Append(v);
  return out;
}

// The min and max of `values` computed the obvious way, with std::string's (unsigned) order.
std::pair<std::string, std::string> Expected(const std::vector<std::string>& values, size_t begin,
                                             size_t end) {
  auto [low, high] = std::minmax_element(values.begin() + begin, values.begin() + end);
  return {*low, *high};
}

TEST(WriterStatistics, ByteArrayBoundsOfEveryRangeMatchTheObviousOnes) {
  std::mt19937 random(7);
  std::vector<std::string> values;
  for (int i = 0; i < 300; ++i) {
    // A long shared prefix, as URLs have, so that order is decided late in the bytes.
    values.push_back("https://example.com/p/" + std::to_string(random() % 97) +
                     std::string(random() % 3, '\xff'));
  }
  const PhysicalValues physical = Strings(values);
  for (size_t begin : {0, 1, 150, 299}) {
    for (size_t end : {begin + 1, std::min<size_t>(begin + 40, 300), size_t{300}}) {
      Statistics stats = ComputeStatistics(StringColumn(), physical, static_cast<int64_t>(begin),
                                           static_cast<int64_t>(end), 2);
      auto [low, high] = Expected(values, begin, end);
      EXPECT_EQ(*stats.min_value, low) << begin << ".." << end;
      EXPECT_EQ(*stats.max_value, high) << begin << ".." << end;
      EXPECT_EQ(stats.null_count, 2);
    }
  }
}

TEST(WriterStatistics, DictionaryPagesGiveTheBoundsOfTheirOwnValues) {
  std::mt19937 random(11);
  std::vector<std::string> values;
  for (int i = 0; i < 5000; ++i) {
    values.push_back("https://example.com/product/" + std::to_string(random() % 400) + "/x");
  }
  const PhysicalValues physical = Strings(values);
  std::vector<uint32_t> indices;
  PhysicalValues dictionary;
  ASSERT_TRUE(BuildDictionary(physical, 1 << 20, &indices, &dictionary));
  const WriterColumn column = StringColumn();
  std::vector<uint8_t> seen;
  // Pages of several sizes, each using only some of the entries (the later pages see entries
  // the first one never used, and miss some it did).
  for (size_t begin = 0, size = 700; begin < values.size(); begin += size, size += 300) {
    const size_t end = std::min(values.size(), begin + size);
    ASSERT_TRUE(
        StatisticsByDictionaryEntry(column, dictionary.size(), static_cast<int64_t>(end - begin)));
    Statistics stats = ComputeDictionaryPageStatistics(
        column, dictionary, std::span(indices).subspan(begin, end - begin), 3, &seen);
    auto [low, high] = Expected(values, begin, end);
    EXPECT_EQ(*stats.min_value, low) << begin;
    EXPECT_EQ(*stats.max_value, high) << begin;
    EXPECT_EQ(stats.null_count, 3);
  }
}

TEST(WriterStatistics, DictionaryEntriesAreComparedOnlyForBytesAndWhenFewerThanTheValues) {
  EXPECT_TRUE(StatisticsByDictionaryEntry(StringColumn(), 100, 100));
  EXPECT_FALSE(StatisticsByDictionaryEntry(StringColumn(), 101, 100));
  WriterColumn numbers;
  numbers.physical_type = PhysicalType::kDouble;
  EXPECT_FALSE(StatisticsByDictionaryEntry(numbers, 10, 100000));
}

TEST(WriterStatistics, BooleanBoundsOfEveryRangeMatchTheObviousOnes) {
  WriterColumn column;
  column.physical_type = PhysicalType::kBoolean;
  column.sort_order = SortOrder::kUnsigned;
  PhysicalValues values;
  values.width = 1;
  values.fixed = {1, 1, 1, 0, 0, 1, 0, 0};
  for (int64_t begin = 0; begin < 8; ++begin) {
    for (int64_t end = begin; end <= 8; ++end) {
      Statistics stats = ComputeStatistics(column, values, begin, end, 0);
      if (begin == end) {
        EXPECT_FALSE(stats.min_value.has_value());
        continue;
      }
      auto first = values.fixed.begin() + begin;
      auto last = values.fixed.begin() + end;
      EXPECT_EQ(*stats.min_value, std::string(1, static_cast<char>(*std::min_element(first, last))))
          << begin << ".." << end;
      EXPECT_EQ(*stats.max_value, std::string(1, static_cast<char>(*std::max_element(first, last))))
          << begin << ".." << end;
    }
  }
}

TEST(WriterStatistics, SignedDecimalBytesOrderNegativesFirst) {
  WriterColumn column;
  column.physical_type = PhysicalType::kFixedLenByteArray;
  column.type_length = 2;
  column.sort_order = SortOrder::kSigned;
  PhysicalValues values;
  values.width = 2;
  // 1, -1, 256, -256 as big-endian two's complement.
  values.fixed = {0x00, 0x01, 0xff, 0xff, 0x01, 0x00, 0xff, 0x00};
  Statistics stats = ComputeStatistics(column, values, 0, 4, 0);
  EXPECT_EQ(*stats.min_value, std::string("\xff\x00", 2));
  EXPECT_EQ(*stats.max_value, std::string("\x01\x00", 2));
}

}  // namespace
}  // namespace sluice::parquet
