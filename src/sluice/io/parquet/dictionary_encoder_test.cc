#include "sluice/io/parquet/dictionary_encoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace sluice::parquet {
namespace {

// The dictionary a plain map builds: distinct values in first-occurrence order.
struct Expected {
  std::vector<std::string> entries;
  std::vector<uint32_t> indices;
};

Expected Reference(const std::vector<std::string>& values) {
  Expected expected;
  std::map<std::string, uint32_t> seen;
  for (const std::string& v : values) {
    auto [it, inserted] = seen.try_emplace(v, static_cast<uint32_t>(expected.entries.size()));
    if (inserted) expected.entries.push_back(v);
    expected.indices.push_back(it->second);
  }
  return expected;
}

PhysicalValues Pack(const std::vector<std::string>& values, int32_t width) {
  PhysicalValues out;
  out.width = width;
  for (const std::string& v : values) {
    if (width == 0) {
      out.binary.Append(v);
    } else {
      out.fixed.insert(out.fixed.end(), v.begin(), v.end());
    }
  }
  return out;
}

std::vector<std::string> Unpack(const PhysicalValues& values) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < values.size(); ++i) {
    if (values.width == 0) {
      out.emplace_back(values.binary[static_cast<size_t>(i)]);
    } else {
      const auto* p = reinterpret_cast<const char*>(values.fixed.data()) + i * values.width;
      out.emplace_back(p, static_cast<size_t>(values.width));
    }
  }
  return out;
}

void ExpectMatchesReference(const std::vector<std::string>& values, int32_t width) {
  std::vector<uint32_t> indices;
  PhysicalValues dictionary;
  ASSERT_TRUE(BuildDictionary(Pack(values, width), int64_t{1} << 30, &indices, &dictionary));
  Expected expected = Reference(values);
  EXPECT_EQ(Unpack(dictionary), expected.entries);
  EXPECT_EQ(indices, expected.indices);
}

std::string RandomBytes(std::mt19937_64& rng, size_t size) {
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(rng() % 4);  // few symbols: many near-equal values
  return s;
}

TEST(DictionaryEncoder, ByteArraysOfEveryShortLengthMatchAMap) {
  std::mt19937_64 rng(7);
  std::vector<std::string> distinct;
  for (size_t size = 0; size <= 70; ++size) {
    for (int k = 0; k < 40; ++k) distinct.push_back(RandomBytes(rng, size));
  }
  // A shared prefix, as URLs have: only the tail tells values apart.
  for (int k = 0; k < 5000; ++k)
    distinct.push_back("https://example.com/product/" + std::to_string(k));
  std::vector<std::string> values;
  for (int i = 0; i < 60000; ++i) values.push_back(distinct[rng() % distinct.size()]);
  ExpectMatchesReference(values, 0);
}

TEST(DictionaryEncoder, FixedWidthBytesMatchAMap) {
  std::mt19937_64 rng(11);
  for (int32_t width : {1, 2, 3, 12, 16}) {
    std::vector<std::string> distinct;
    for (int k = 0; k < 3000; ++k) distinct.push_back(RandomBytes(rng, static_cast<size_t>(width)));
    std::vector<std::string> values;
    for (int i = 0; i < 20000; ++i) values.push_back(distinct[rng() % distinct.size()]);
    ExpectMatchesReference(values, width);
  }
}

TEST(DictionaryEncoder, IntegersMatchAMapThroughManyRegrowths) {
  std::mt19937_64 rng(3);
  for (int32_t width : {4, 8}) {
    std::vector<std::string> values;
    for (int i = 0; i < 200000; ++i) {
      uint64_t v = rng() % 100000;
      if (width == 8) v |= v << 40;  // keys that differ only in high bits too
      values.emplace_back(reinterpret_cast<const char*>(&v), static_cast<size_t>(width));
    }
    ExpectMatchesReference(values, width);
  }
}

TEST(DictionaryEncoder, NegativeDenseAndConstantIntegersMatchAMap) {
  std::mt19937_64 rng(5);
  std::vector<std::string> around_zero;
  std::vector<std::string> dense_negative;
  std::vector<std::string> constant;
  for (int i = 0; i < 5000; ++i) {
    int32_t a = static_cast<int32_t>(rng() % 101) - 50;  // wraps: a wide unsigned range
    int32_t b = static_cast<int32_t>(rng() % 300) - 1000000;
    int32_t c = -7;
    around_zero.emplace_back(reinterpret_cast<const char*>(&a), 4);
    dense_negative.emplace_back(reinterpret_cast<const char*>(&b), 4);
    constant.emplace_back(reinterpret_cast<const char*>(&c), 4);
  }
  ExpectMatchesReference(around_zero, 4);
  ExpectMatchesReference(dense_negative, 4);
  ExpectMatchesReference(constant, 4);
}

TEST(DictionaryEncoder, IntegersGiveUpPastTheSizeLimit) {
  for (uint32_t stride : {1u, 1000003u}) {  // the dense path, then the hashed one
    PhysicalValues values;
    values.width = 4;
    for (uint32_t i = 0; i < 1000; ++i) {
      uint32_t v = i * stride;
      values.fixed.insert(values.fixed.end(), reinterpret_cast<uint8_t*>(&v),
                          reinterpret_cast<uint8_t*>(&v) + 4);
    }
    std::vector<uint32_t> indices;
    PhysicalValues dictionary;
    EXPECT_FALSE(BuildDictionary(values, 4 * 1000 - 1, &indices, &dictionary));
    EXPECT_TRUE(BuildDictionary(values, 4 * 1000, &indices, &dictionary));
    EXPECT_EQ(dictionary.size(), 1000);
  }
}

TEST(DictionaryEncoder, GivesUpPastTheSizeLimit) {
  std::vector<std::string> values;
  for (int i = 0; i < 1000; ++i) values.push_back("value-" + std::to_string(i));
  std::vector<uint32_t> indices;
  PhysicalValues dictionary;
  const PhysicalValues packed = Pack(values, 0);
  int64_t plain_size = 0;
  for (const std::string& v : values) plain_size += 4 + static_cast<int64_t>(v.size());
  EXPECT_FALSE(BuildDictionary(packed, plain_size - 1, &indices, &dictionary));
  EXPECT_TRUE(BuildDictionary(packed, plain_size, &indices, &dictionary));
  EXPECT_EQ(dictionary.size(), 1000);
}

}  // namespace
}  // namespace sluice::parquet
