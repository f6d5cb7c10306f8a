#include "sluice/table/concat.h"

#include <gtest/gtest.h>

#include <climits>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

TEST(ConcatTest, SlicesConcatenateBackToTheWhole) {
  RecordBatch batch = MakeSampleBatch(301);
  // Uneven slice points exercise unaligned bitmap copies.
  std::vector<RecordBatch> pieces = {batch.Slice(0, 3), batch.Slice(3, 0), batch.Slice(3, 61),
                                     batch.Slice(64, 200), batch.Slice(264, 37)};
  RecordBatch joined = Concat(pieces);
  EXPECT_EQ(joined, batch);
  // The output owns fresh buffers.
  EXPECT_NE(joined.column(4).buffer(1), batch.column(4).buffer(1));
  for (int c = 0; c < batch.num_columns(); ++c) {
    EXPECT_EQ(joined.column(c).null_count(), batch.column(c).null_count());
  }
}

TEST(ConcatTest, SingleAndEmptyInputs) {
  RecordBatch batch = MakeSampleBatch(5);
  std::vector<RecordBatch> one = {batch};
  EXPECT_EQ(Concat(one), batch);
  std::vector<RecordBatch> empties = {batch.Slice(0, 0), batch.Slice(5, 0)};
  EXPECT_EQ(Concat(empties).num_rows(), 0);
  EXPECT_THROW(Concat(std::vector<RecordBatch>{}), Error);
}

TEST(ConcatTest, SchemaMismatchNamesTheColumn) {
  Int64Builder ints;
  ints.Append(1);
  Array i = ints.Finish();
  Int32Builder small;
  small.Append(1);
  Array s = small.Finish();
  RecordBatch a = RecordBatch::Make(Schema({{"k", i.type()}, {"v", i.type()}}), {i, i});
  RecordBatch b = RecordBatch::Make(Schema({{"k", i.type()}, {"v", s.type()}}), {i, s});
  try {
    Concat(std::vector<RecordBatch>{a, a, b});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("column"), "v");
    EXPECT_EQ(e.ContextValue("batch"), "2");
  }
  RecordBatch renamed = RecordBatch::Make(Schema({{"k", i.type()}, {"w", i.type()}}), {i, i});
  try {
    Concat(std::vector<RecordBatch>{a, renamed});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("column"), "v");
  }
}

// A string array whose data buffer spans `bytes` bytes in one value, without touching them: the
// allocator's large blocks come straight from the kernel and stay unbacked until written.
Array HugeString(int64_t bytes) {
  std::unique_ptr<Buffer> data = Allocator::Default()->Allocate(bytes);
  data->set_size(bytes);
  std::unique_ptr<Buffer> offsets = Allocator::Default()->Allocate(8);
  offsets->mutable_data_as<int32_t>()[0] = 0;
  offsets->mutable_data_as<int32_t>()[1] = static_cast<int32_t>(bytes);
  offsets->set_size(8);
  return Array::Make(DataType::String(), 1, {nullptr, std::move(offsets), std::move(data)});
}

TEST(ConcatTest, StringOffsetOverflowNamesTheColumn) {
  Array huge = HugeString(int64_t{1} << 30);
  RecordBatch batch = RecordBatch::Make(Schema({{"payload", DataType::String()}}), {huge});
  AllocatorStats before = ProcessAllocatorStats();
  try {
    Concat(std::vector<RecordBatch>{batch, batch});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("column"), "payload");
  }
  // Refused before allocating the output.
  EXPECT_EQ(ProcessAllocatorStats().allocations, before.allocations);
}

}  // namespace
}  // namespace sluice
