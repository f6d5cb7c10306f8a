#include "sluice/ops/binary_first_last.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sluice/ops/aggregator_test_support.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

using Cell = std::optional<std::string>;

Array Strings(const std::vector<Cell>& cells) {
  BinaryBuilder b;
  for (const Cell& c : cells) {
    if (c) {
      b.Append(*c);
    } else {
      b.AppendNull();
    }
  }
  return b.Finish();
}

// Two partial states fed rows in scattered stream order (nulls, empty and long strings among
// them), merged into a third in two halves: every group ends with the value of its lowest
// (first) or highest (last) position, null included, as a reference computes it.
TEST(BinaryFirstLastTest, KeepsTheValueOfTheFirstOrLastPositionAcrossMerges) {
  for (bool last : {false, true}) {
    SCOPED_TRACE(last ? "last" : "first");
    std::mt19937 rng(3);
    constexpr uint32_t kGroups = 50;
    std::vector<int64_t> best_row(kGroups, -1);
    std::vector<Cell> best(kGroups);
    std::unique_ptr<Aggregator> parts[2] = {MakeBinaryFirstLast(DataType::String(), last),
                                            MakeBinaryFirstLast(DataType::String(), last)};
    for (auto& p : parts) p->Resize(kGroups);
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<Cell> cells;
      std::vector<uint32_t> groups;
      std::vector<int64_t> rows;
      for (int r = 0; r < 100; ++r) {
        const auto g = static_cast<uint32_t>(rng() % kGroups);
        const int64_t row = static_cast<int64_t>(rng() % 1000000);
        const int kind = static_cast<int>(rng() % 8);
        Cell c = kind == 0   ? Cell{}
                 : kind == 1 ? Cell{""}
                 : kind == 2 ? Cell{std::string(40 + rng() % 100, 'a' + static_cast<char>(g % 26))}
                             : Cell{"v" + std::to_string(row)};
        cells.push_back(c);
        groups.push_back(g);
        rows.push_back(row);
        if (best_row[g] < 0 || (last ? row > best_row[g] : row < best_row[g])) {
          best_row[g] = row;
          best[g] = c;
        }
      }
      testing::UpdateWithinBound(*parts[batch % 2], Strings(cells), groups, rows.data());
    }
    std::unique_ptr<Aggregator> merged = MakeBinaryFirstLast(DataType::String(), last);
    merged->Resize(kGroups);
    std::vector<uint32_t> all;
    for (uint32_t g = 0; g < kGroups; ++g) all.push_back(g);
    for (auto& p : parts) {
      const int64_t before = merged->ByteSize();
      const int64_t bound = merged->MergeGrowthBound(*p, all);
      merged->Merge(*p, all, all);
      EXPECT_LE(merged->ByteSize() - before, bound);
    }
    const Array out = merged->FinishSlice(0, 20);
    const Array rest = merged->FinishSlice(20, kGroups);
    ASSERT_EQ(out.length() + rest.length(), kGroups);
    for (uint32_t g = 0; g < kGroups; ++g) {
      const Array& a = g < 20 ? out : rest;
      const int64_t i = g < 20 ? g : g - 20;
      ASSERT_EQ(a.IsValid(i), best[g].has_value()) << "group " << g;
      if (best[g]) {
        EXPECT_EQ(a.BinaryValue(i), *best[g]) << "group " << g;
      }
    }
  }
}

TEST(BinaryFirstLastTest, GroupsWithoutRowsAreNull) {
  std::unique_ptr<Aggregator> a = MakeBinaryFirstLast(DataType::Binary(), false);
  a->Resize(3);
  const Array input = Strings({Cell{"x"}});
  const Array* inputs[] = {&input};
  const uint32_t groups[] = {1};
  a->Update(inputs, groups, RowPositions(int64_t{0}));
  const Array out = a->Finish();
  EXPECT_EQ(out.type(), DataType::Binary());
  EXPECT_EQ(out.null_count(), 2);
  EXPECT_EQ(out.BinaryValue(1), "x");
}

}  // namespace
}  // namespace sluice
