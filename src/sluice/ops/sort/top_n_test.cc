#include "sluice/ops/sort/top_n.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

// (g string with nulls, h int32, v double with nulls and many ties, id int64 unique).
std::vector<RecordBatch> RandomBatches(int batches, int rows, int groups, uint64_t seed) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"g", DataType::String()},
                                                                  {"h", DataType::Int32()},
                                                                  {"v", DataType::Float64()},
                                                                  {"id", DataType::Int64()}});
  std::mt19937_64 rng(seed);
  std::vector<RecordBatch> out;
  int64_t id = 0;
  for (int b = 0; b < batches; ++b) {
    StringBuilder g;
    Int32Builder h;
    Float64Builder v;
    Int64Builder ids;
    for (int r = 0; r < rows; ++r) {
      if (rng() % 50 == 0) {
        g.AppendNull();
      } else {
        g.Append("g" + std::to_string(rng() % static_cast<uint64_t>(groups)));
      }
      h.Append(static_cast<int32_t>(rng() % 3));
      if (rng() % 7 == 0) {
        v.AppendNull();
      } else {
        v.Append(static_cast<double>(rng() % 40));
      }
      ids.Append(id++);
    }
    out.push_back(RecordBatch::Make(schema, {g.Finish(), h.Finish(), v.Finish(), ids.Finish()}));
  }
  return out;
}

std::string GroupOf(const RecordBatch& b, int64_t r) {
  return (b.column(0).IsNull(r) ? std::string("NULL") : FormatValue(b.column(0), r)) + "|" +
         FormatValue(b.column(1), r);
}

// group -> ids, best first, by brute force: v descending (nulls last), earlier id on ties.
std::map<std::string, std::vector<int64_t>> Expected(const std::vector<RecordBatch>& input,
                                                     size_t n) {
  const RecordBatch all = Concat(input);
  std::map<std::string, std::vector<int64_t>> rows;
  for (int64_t r = 0; r < all.num_rows(); ++r) rows[GroupOf(all, r)].push_back(r);
  const Array& v = all.column(2);
  std::map<std::string, std::vector<int64_t>> out;
  for (auto& [group, members] : rows) {
    std::stable_sort(members.begin(), members.end(), [&](int64_t x, int64_t y) {
      if (v.IsNull(x) || v.IsNull(y)) return v.IsValid(x) && v.IsNull(y);
      return v.Value<double>(x) > v.Value<double>(y);
    });
    members.resize(std::min(n, members.size()));
    for (int64_t r : members) out[group].push_back(all.column(3).Value<int64_t>(r));
  }
  return out;
}

TEST(TopNPerGroupTest, EqualsBruteForceWithTiesNullsAndSeveralPartitions) {
  const std::vector<RecordBatch> input = RandomBatches(30, 4000, 300, 11);
  for (int64_t n : {1, 2, 5}) {
    TopNOptions options;
    options.groups = {"g", "h"};
    options.order = {{"v", true}};
    options.n = n;
    options.min_partitions = 3;
    options.run.cpu_threads = 2;
    TopNResult result =
        TopNPerGroup(*TableScan::FromBatches(input[0].shared_schema(), input), options);
    std::map<std::string, std::vector<int64_t>> got;
    for (const RecordBatch& b : result.batches) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        got[GroupOf(b, r)].push_back(b.column(3).Value<int64_t>(r));
      }
    }
    const auto expected = Expected(input, static_cast<size_t>(n));
    EXPECT_EQ(result.groups, static_cast<int64_t>(expected.size()));
    EXPECT_EQ(result.input_rows, 120000);
    EXPECT_EQ(got, expected) << "n = " << n;
  }
}

TEST(TopNPerGroupTest, UnknownColumnsAndBadNAreNamed) {
  const std::vector<RecordBatch> input = RandomBatches(1, 10, 3, 1);
  auto scan = TableScan::FromBatches(input[0].shared_schema(), input);
  TopNOptions options;
  options.groups = {"nope"};
  options.order = {{"v", true}};
  options.n = 2;
  try {
    TopNPerGroup(*scan, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  options.groups = {"g"};
  options.order = {{"vv", true}};
  EXPECT_THROW(TopNPerGroup(*scan, options), Error);
  options.order = {{"v", true}};
  options.n = 0;
  EXPECT_THROW(TopNPerGroup(*scan, options), Error);
}

}  // namespace
}  // namespace sluice
