#include "sluice/table/take.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

TEST(TakeTest, PicksRowsInOrderWithRepeats) {
  RecordBatch batch = MakeSampleBatch(50);
  std::vector<int64_t> indices = {49, 0, 3, 3, 17, 10, 10, 10, 2};
  RecordBatch taken = Take(batch, indices);
  ASSERT_EQ(taken.num_rows(), static_cast<int64_t>(indices.size()));
  for (int c = 0; c < batch.num_columns(); ++c) {
    int64_t nulls = 0;
    for (size_t k = 0; k < indices.size(); ++k) {
      ASSERT_EQ(FormatValue(taken.column(c), static_cast<int64_t>(k)),
                FormatValue(batch.column(c), indices[k]))
          << batch.schema().field(c).name;
      nulls += batch.column(c).IsNull(indices[k]);
    }
    EXPECT_EQ(taken.column(c).null_count(), nulls);
  }
}

TEST(TakeTest, WorksOnSlices) {
  RecordBatch batch = MakeSampleBatch(40);
  RecordBatch slice = batch.Slice(13, 20);
  std::vector<int64_t> all(20);
  for (int64_t i = 0; i < 20; ++i) all[static_cast<size_t>(i)] = i;
  EXPECT_EQ(Take(slice, all), slice);
  EXPECT_EQ(Take(slice, std::vector<int64_t>{}).num_rows(), 0);
}

TEST(TakeTest, SetsEqualTakingEachSet) {
  RecordBatch batch = MakeSampleBatch(60).Slice(5, 50);
  const std::vector<std::vector<int64_t>> sets = {{49, 0, 3, 3}, {}, {7, 8, 9, 10, 11}, {2}};
  std::vector<std::span<const int64_t>> spans(sets.begin(), sets.end());
  std::vector<RecordBatch> taken = TakeSets(batch, spans);
  ASSERT_EQ(taken.size(), sets.size());
  for (size_t s = 0; s < sets.size(); ++s) EXPECT_EQ(taken[s], Take(batch, sets[s])) << s;
  const std::vector<int64_t> bad = {1, 50};
  spans.push_back(bad);
  EXPECT_THROW(TakeSets(batch, spans), Error);
}

TEST(TakeTest, BadIndexNamesTheColumn) {
  RecordBatch batch = MakeSampleBatch(10);
  for (int64_t bad : {int64_t{10}, int64_t{-1}}) {
    try {
      Take(batch, std::vector<int64_t>{0, bad});
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_EQ(e.ContextValue("column"), "flag");
      EXPECT_EQ(e.ContextValue("position"), "1");
    }
  }
  try {
    Take(batch.column(11), std::vector<int64_t>{99}, Allocator::Default(), "name");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("column"), "name");
  }
}

TEST(TakeTest, StringOffsetOverflowNamesTheColumn) {
  // One value of 1 GiB, never written, so never backed by memory.
  int64_t bytes = int64_t{1} << 30;
  std::unique_ptr<Buffer> data = Allocator::Default()->Allocate(bytes);
  data->set_size(bytes);
  std::unique_ptr<Buffer> offsets = Allocator::Default()->Allocate(8);
  offsets->mutable_data_as<int32_t>()[0] = 0;
  offsets->mutable_data_as<int32_t>()[1] = static_cast<int32_t>(bytes);
  offsets->set_size(8);
  Array huge = Array::Make(DataType::Binary(), 1, {nullptr, std::move(offsets), std::move(data)});
  RecordBatch batch = RecordBatch::Make(Schema({{"blob", DataType::Binary()}}), {huge});
  try {
    Take(batch, std::vector<int64_t>{0, 0});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("column"), "blob");
  }
}

}  // namespace
}  // namespace sluice
