#include "sluice/ops/value_lists.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace sluice {
namespace {

using Reference = std::vector<std::vector<double>>;

void ExpectEqual(ValueLists& lists, Reference& reference) {
  for (size_t g = 0; g < reference.size(); ++g) {
    ASSERT_EQ(lists.count(static_cast<uint32_t>(g)), static_cast<int64_t>(reference[g].size()));
    std::span<double> v = lists.Values(static_cast<uint32_t>(g));
    std::vector<double> got(v.begin(), v.end());
    std::sort(got.begin(), got.end());
    std::vector<double> want = reference[g];
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "group " << g;
  }
}

// Lists of very different lengths (one value to thousands), appended in random batches and
// merged from two partial states: every list holds its values, and each batch's growth stays
// within the bound charged before it.
TEST(ValueListsTest, AppendsAndMergesWithinTheirBounds) {
  std::mt19937 rng(5);
  constexpr int kGroups = 300;
  ValueLists parts[2];
  Reference part_reference[2];
  for (int p = 0; p < 2; ++p) {
    parts[p].Resize(kGroups);
    part_reference[p].resize(kGroups);
    for (int batch = 0; batch < 40; ++batch) {
      const int n = 1 + static_cast<int>(rng() % 3000);
      const int64_t bound = parts[p].AppendGrowthBound(n);
      const int64_t before = parts[p].ByteSize();
      for (int i = 0; i < n; ++i) {
        // Skewed: group 0 takes a third of the values.
        const auto g = static_cast<uint32_t>(rng() % 3 == 0 ? 0 : rng() % kGroups);
        const double v = static_cast<double>(rng() % 1000) / 7;
        parts[p].Append(g, v);
        part_reference[p][g].push_back(v);
      }
      EXPECT_LE(parts[p].ByteSize() - before, bound) << "part " << p << " batch " << batch;
    }
    ExpectEqual(parts[p], part_reference[p]);
  }
  ValueLists merged;
  merged.Resize(kGroups);
  Reference reference(kGroups);
  for (int p = 0; p < 2; ++p) {
    std::vector<uint32_t> from, to;
    for (uint32_t g = 0; g < kGroups; ++g) {
      from.push_back(g);
      to.push_back((g * 7 + static_cast<uint32_t>(p)) % kGroups);
    }
    const int64_t bound = merged.AppendListGrowthBound(parts[p], from);
    const int64_t before = merged.ByteSize();
    for (size_t i = 0; i < from.size(); ++i) {
      merged.AppendList(to[i], parts[p], from[i]);
      const auto& values = part_reference[p][from[i]];
      reference[to[i]].insert(reference[to[i]].end(), values.begin(), values.end());
    }
    EXPECT_LE(merged.ByteSize() - before, bound) << "merge " << p;
  }
  ExpectEqual(merged, reference);
  // Values are merged by copying: the partial states still hold theirs.
  ExpectEqual(parts[0], part_reference[0]);
}

TEST(ValueListsTest, EmptyListsHaveNoValues) {
  ValueLists lists;
  lists.Resize(3);
  lists.Append(1, 2.5);
  EXPECT_TRUE(lists.Values(0).empty());
  EXPECT_EQ(lists.count(2), 0);
  ASSERT_EQ(lists.Values(1).size(), 1u);
  EXPECT_EQ(lists.Values(1)[0], 2.5);
  ValueLists other;
  other.Resize(1);
  const std::vector<uint32_t> from = {0};
  lists.AppendList(2, other, 0);  // an empty list merges as nothing
  EXPECT_EQ(lists.count(2), 0);
  EXPECT_EQ(lists.AppendListGrowthBound(other, from), 0);
}

}  // namespace
}  // namespace sluice
