#include "sluice/table/record_batch.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

Array Ints(std::initializer_list<int64_t> values) {
  Int64Builder builder;
  for (int64_t v : values) builder.Append(v);
  return builder.Finish();
}

TEST(RecordBatchTest, MakeChecksColumnsAgainstTheSchema) {
  Schema schema({{"a", DataType::Int64(), false}, {"b", DataType::Int64()}});
  RecordBatch batch = RecordBatch::Make(schema, {Ints({1, 2}), Ints({3, 4})});
  EXPECT_EQ(batch.num_rows(), 2);
  EXPECT_EQ(batch.column("b").Value<int64_t>(1), 4);
  try {
    RecordBatch::Make(schema, {Ints({1, 2}), Ints({3})});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("column"), "b");
  }
  Int64Builder with_null;
  with_null.AppendNull();
  with_null.Append(1);
  try {
    RecordBatch::Make(schema, {with_null.Finish(), Ints({3, 4})});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("column"), "a");
  }
  StringBuilder strings;
  strings.Append("x");
  strings.Append("y");
  try {
    RecordBatch::Make(schema, {Ints({1, 2}), strings.Finish()});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("column"), "b");
  }
  EXPECT_THROW(RecordBatch::Make(schema, {Ints({1})}), Error);
  EXPECT_THROW(batch.column("nope"), Error);
  EXPECT_EQ(RecordBatch::Make(Schema(), {}, 5).num_rows(), 5);
}

TEST(RecordBatchTest, SliceSharesBuffersAndMatchesRows) {
  RecordBatch batch = MakeSampleBatch(100);
  RecordBatch slice = batch.Slice(10, 30);
  EXPECT_EQ(slice.num_rows(), 30);
  for (int c = 0; c < batch.num_columns(); ++c) {
    EXPECT_EQ(slice.column(c).buffer(1), batch.column(c).buffer(1));
    for (int64_t r = 0; r < 30; ++r) {
      ASSERT_EQ(FormatValue(slice.column(c), r), FormatValue(batch.column(c), r + 10));
    }
  }
  EXPECT_THROW(batch.Slice(90, 20), Error);
}

TEST(RecordBatchTest, ByteSizeIsExactlyTheMemoryHeld) {
  Allocator allocator;
  RecordBatch batch = MakeSampleBatch(1000, &allocator);
  // The builders are gone: everything still allocated belongs to the batch.
  EXPECT_EQ(ByteSize(batch), allocator.stats().live_bytes);
  // A slice pins all of its parent's buffers.
  EXPECT_EQ(ByteSize(batch.Slice(0, 1)), ByteSize(batch));
  int64_t column_sum = 0;
  for (const Array& column : batch.columns()) column_sum += ByteSize(column);
  EXPECT_EQ(column_sum, ByteSize(batch));
  // The same array twice holds its memory once.
  Array a = batch.column(4);
  RecordBatch twice = RecordBatch::Make(Schema({{"x", a.type()}, {"y", a.type()}}), {a, a});
  EXPECT_EQ(ByteSize(twice), ByteSize(a));
  EXPECT_GT(ByteSize(a), 1000 * 8);
}

TEST(RecordBatchTest, ByteSizeIsFoundByArgumentDependentLookup) {
  RecordBatch batch = MakeSampleBatch(10);
  auto size_of = [](const auto& item) { return ByteSize(item); };
  EXPECT_GT(size_of(batch), 0);
}

}  // namespace
}  // namespace sluice
