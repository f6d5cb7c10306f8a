// Tests for zorder_key.h: ranks follow the sampled quantiles, interleave with the first column's
// bit first, order every coordinate, put nulls last; bad column lists are refused.
#include "sluice/jobs/compact/zorder_key.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

std::shared_ptr<const Schema> XySchema() {
  return std::make_shared<const Schema>(std::vector<Field>{
      {"x", DataType::Int64()}, {"y", DataType::Int64()}, {"s", DataType::String()}});
}

// Rows (x, y, "s"); a missing x is null.
RecordBatch Rows(const std::vector<std::pair<std::optional<int64_t>, int64_t>>& rows) {
  Int64Builder x, y;
  StringBuilder s;
  for (const auto& [a, b] : rows) {
    a ? x.Append(*a) : x.AppendNull();
    y.Append(b);
    s.Append("s");
  }
  return RecordBatch::Make(XySchema(), {x.Finish(), y.Finish(), s.Finish()});
}

// A key over x and y whose sample is 0..999 in both.
ZOrderKey SampledKey() {
  ZOrderKey key(*XySchema(), {"x", "y"});
  Int64Builder x, y;
  for (int64_t i = 0; i < 1000; ++i) {
    x.Append(i);
    y.Append(999 - i);
  }
  key.AddSample(RecordBatch::Make(key.sample_schema(), {x.Finish(), y.Finish()}), 1);
  key.FinishSample();
  return key;
}

std::vector<uint64_t> KeysOf(const ZOrderKey& key, const RecordBatch& batch) {
  const Array keys = key.Keys(batch);
  std::vector<uint64_t> out;
  for (int64_t i = 0; i < keys.length(); ++i) out.push_back(keys.Value<uint64_t>(i));
  return out;
}

TEST(ZOrderKeyTest, RanksInterleaveWithTheFirstColumnFirst) {
  const ZOrderKey key = SampledKey();
  EXPECT_EQ(key.bits_per_column(), 32);
  EXPECT_EQ(key.boundaries(0).size(), 1000u);
  // (max x, min y) has the top bit (x's); (min x, max y) has the next (y's) but not the top.
  const std::vector<uint64_t> k = KeysOf(key, Rows({{999, 0}, {0, 999}, {-1, -1}, {999, 999}}));
  EXPECT_EQ(k[0] >> 63, 1u);
  EXPECT_EQ(k[1] >> 63, 0u);
  EXPECT_EQ((k[1] >> 62) & 1, 1u);
  EXPECT_EQ(k[2], 0u);  // below every boundary in both
  EXPECT_GT(k[0], k[1]);
  EXPECT_GT(k[3], k[0]);
}

TEST(ZOrderKeyTest, KeysGrowWithEveryCoordinateAndNullsRankLast) {
  const ZOrderKey key = SampledKey();
  std::vector<std::pair<std::optional<int64_t>, int64_t>> grid;
  for (int64_t x = -10; x < 1100; x += 37) {
    for (int64_t y = -10; y < 1100; y += 41) grid.emplace_back(x, y);
  }
  const std::vector<uint64_t> k = KeysOf(key, Rows(grid));
  for (size_t a = 0; a < grid.size(); ++a) {
    for (size_t b = 0; b < grid.size(); ++b) {
      if (*grid[a].first <= *grid[b].first && grid[a].second <= grid[b].second) {
        ASSERT_LE(k[a], k[b]) << a << " " << b;
      }
    }
  }
  // A null x ranks above every value of x, the same y.
  const std::vector<uint64_t> n = KeysOf(key, Rows({{std::nullopt, 500}, {5000, 500}}));
  EXPECT_GE(n[0], n[1]);
  EXPECT_EQ(n[0] >> 63, 1u);
}

TEST(ZOrderKeyTest, TheSampleIsThinnedAndBoundedInQuantiles) {
  ZOrderKey key(*XySchema(), {"y", "x", "s"});
  EXPECT_EQ(key.bits_per_column(), 21);
  Int64Builder y, x;
  StringBuilder s;
  for (int64_t i = 0; i < 100000; ++i) {
    y.Append(i);
    x.Append(i % 3);
    s.Append("s");
  }
  key.AddSample(RecordBatch::Make(key.sample_schema(), {y.Finish(), x.Finish(), s.Finish()}), 10);
  key.FinishSample();
  EXPECT_EQ(key.boundaries(0).size(), static_cast<size_t>(ZOrderKey::kMaxBoundaries));
  EXPECT_EQ(key.boundaries(1).size(), 3u);  // distinct values only
  EXPECT_EQ(key.boundaries(2).size(), 1u);
}

TEST(ZOrderKeyTest, BadColumnListsAreRefused) {
  EXPECT_THROW(ZOrderKey(*XySchema(), {"x"}), Error);
  try {
    ZOrderKey(*XySchema(), {"x", "nope"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice::compact
