#include "sluice/ops/nested_first_last.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "sluice/ops/aggregator_test_support.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

// Row r's value: the list [r, -r], or null when r % 5 == 0.
Array Lists(const std::vector<int64_t>& rows) {
  Int64Builder values;
  BufferBuilder offsets(Allocator::Default());
  BitmapBuilder validity(Allocator::Default());
  int64_t nulls = 0;
  offsets.AppendValue<int32_t>(0);
  for (int64_t r : rows) {
    const bool valid = r % 5 != 0;
    validity.Append(valid);
    nulls += valid ? 0 : 1;
    if (valid) {
      values.Append(r);
      values.Append(-r);
    }
    offsets.AppendValue<int32_t>(static_cast<int32_t>(values.length()));
  }
  return Array::MakeNested(DataType::List(DataType::Int64()), static_cast<int64_t>(rows.size()),
                           {validity.Finish(), offsets.Finish()}, {values.Finish()}, nulls);
}

// Two partial states fed rows in scattered stream order, past the point where they gather their
// live values again, merged into a third: every group ends with the value of its lowest (first)
// or highest (last) position, null included, and a group without rows is null.
TEST(NestedFirstLastTest, KeepsTheValueOfTheFirstOrLastPositionAcrossCompactionsAndMerges) {
  for (bool last : {false, true}) {
    SCOPED_TRACE(last ? "last" : "first");
    std::mt19937 rng(7);
    constexpr uint32_t kGroups = 3000;
    const DataType type = DataType::List(DataType::Int64());
    std::vector<int64_t> best(kGroups + 1, -1);  // the last group gets no rows
    std::unique_ptr<Aggregator> parts[2] = {MakeNestedFirstLast(type, last),
                                            MakeNestedFirstLast(type, last)};
    for (auto& p : parts) p->Resize(kGroups + 1);
    for (int batch = 0; batch < 40; ++batch) {
      std::vector<uint32_t> groups;
      std::vector<int64_t> rows;
      for (int r = 0; r < 1000; ++r) {
        const auto g = static_cast<uint32_t>(rng() % kGroups);
        const auto row = static_cast<int64_t>(rng() % 100000000);
        groups.push_back(g);
        rows.push_back(row);
        if (best[g] < 0 || (last ? row > best[g] : row < best[g])) best[g] = row;
      }
      testing::UpdateWithinBound(*parts[batch % 2], Lists(rows), groups, rows.data());
    }
    std::unique_ptr<Aggregator> merged = MakeNestedFirstLast(type, last);
    merged->Resize(kGroups + 1);
    std::vector<uint32_t> all;
    for (uint32_t g = 0; g <= kGroups; ++g) all.push_back(g);
    for (auto& p : parts) merged->Merge(*p, all, all);
    for (int64_t begin = 0; begin <= kGroups; begin += 1000) {
      const int64_t end = std::min<int64_t>(begin + 1000, kGroups + 1);
      const Array out = merged->FinishSlice(begin, end);
      ASSERT_EQ(out.length(), end - begin);
      for (int64_t i = 0; i < out.length(); ++i) {
        const int64_t row = best[static_cast<size_t>(begin + i)];
        ASSERT_EQ(out.IsNull(i), row < 0 || row % 5 == 0) << "group " << begin + i;
        if (out.IsNull(i)) continue;
        ASSERT_EQ(out.ValueEnd(i) - out.ValueBegin(i), 2);
        EXPECT_EQ(out.child(0).Value<int64_t>(out.ValueBegin(i)), row) << "group " << begin + i;
      }
    }
  }
}

}  // namespace
}  // namespace sluice
