#include "sluice/table/dictionary.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

std::shared_ptr<const Array> Words() {
  BinaryBuilder b;
  for (const char* w : {"a", "bb", ""}) b.Append(w);
  return std::make_shared<const Array>(b.Finish());
}

// Indices 2, 0, null, 1, 1, 0 into {"a", "bb", ""}.
Array Encoded() {
  FixedWidthBuilder<int32_t> indices;
  for (int32_t i : {2, 0, -1, 1, 1, 0}) {
    if (i < 0) {
      indices.AppendNull();
    } else {
      indices.Append(i);
    }
  }
  return Array::MakeDictionary(indices.Finish(), Words());
}

std::vector<std::string> Values(const Array& a) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < a.length(); ++i) out.push_back(FormatValue(a, i));
  return out;
}

TEST(DictionaryTest, DecodesToValuesWithNulls) {
  Array a = Encoded();
  EXPECT_TRUE(a.is_dictionary());
  EXPECT_EQ(a.type(), DataType::String());
  EXPECT_EQ(a.null_count(), 1);
  Array values = DecodeDictionary(a);
  EXPECT_FALSE(values.is_dictionary());
  EXPECT_EQ(values.null_count(), 1);
  EXPECT_EQ(Values(values), Values(DecodeDictionary(values)));
  EXPECT_EQ(values.BinaryValue(0), "");
  EXPECT_EQ(values.BinaryValue(1), "a");
  EXPECT_TRUE(values.IsNull(2));
  EXPECT_EQ(values.BinaryValue(3), "bb");
  EXPECT_EQ(values.BinaryValue(5), "a");
}

TEST(DictionaryTest, SlicesAndTakesKeepTheDictionary) {
  Array a = Encoded();
  Array slice = a.Slice(1, 4);
  ASSERT_TRUE(slice.is_dictionary());
  Array decoded = DecodeDictionary(slice);
  EXPECT_EQ(decoded.null_count(), 1);
  EXPECT_EQ(decoded.BinaryValue(0), "a");
  EXPECT_TRUE(decoded.IsNull(1));
  EXPECT_EQ(decoded.BinaryValue(3), "bb");

  Array taken = Take(slice, std::vector<int64_t>{3, 1, 0});
  ASSERT_TRUE(taken.is_dictionary());
  EXPECT_EQ(taken.dictionary(), a.dictionary());
  Array values = DecodeDictionary(taken);
  EXPECT_EQ(values.BinaryValue(0), "bb");
  EXPECT_TRUE(values.IsNull(1));
  EXPECT_EQ(values.BinaryValue(2), "a");
  EXPECT_EQ(DictionaryIndices(taken).Value<int32_t>(0), 1);
}

TEST(DictionaryTest, BatchesDecodeOnlyTheirDictionaryColumns) {
  FixedWidthBuilder<int64_t> plain;
  for (int64_t i = 0; i < 6; ++i) plain.Append(i);
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"w", DataType::String(), true}, {"n", DataType::Int64(), true}});
  RecordBatch batch = RecordBatch::Make(schema, {Encoded(), plain.Finish()}, 6);
  RecordBatch decoded = DecodeDictionaries(batch);
  EXPECT_FALSE(decoded.column(0).is_dictionary());
  EXPECT_EQ(decoded.column(0).BinaryValue(3), "bb");
  EXPECT_EQ(decoded.column(1).Value<int64_t>(5), 5);
}

TEST(DictionaryTest, AnEmptyDictionaryServesOnlyNulls) {
  FixedWidthBuilder<int32_t> indices;
  indices.AppendNulls(3);
  BinaryBuilder empty;
  Array a = Array::MakeDictionary(indices.Finish(), std::make_shared<const Array>(empty.Finish()));
  Array values = DecodeDictionary(a);
  EXPECT_EQ(values.length(), 3);
  EXPECT_EQ(values.null_count(), 3);
}

TEST(DictionaryTest, RefusesOtherIndexTypes) {
  FixedWidthBuilder<int64_t> wide;
  wide.Append(0);
  EXPECT_THROW(Array::MakeDictionary(wide.Finish(), Words()), Error);
}

}  // namespace
}  // namespace sluice
