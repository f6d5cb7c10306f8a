#include "sluice/ops/sort/top_n.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "sluice/base/error.h"
#include "sluice/ops/sort/top_n_table.h"
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

TEST(TopNPerGroupTest, EqualsBruteForceWithTiesAndNulls) {
  const std::vector<RecordBatch> input = RandomBatches(30, 4000, 300, 11);
  for (int64_t n : {1, 2, 5}) {
    TopNOptions options;
    options.groups = {"g", "h"};
    options.order = {{"v", true}};
    options.n = n;
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

// Tables larger than the budget: the ranking pass is abandoned and the groups ranked in several
// passes over hash-bucket ranges; the rows come back in several gather windows; the budget holds
// and the result is the same.
TEST(TopNPerGroupTest, StateLargerThanTheBudgetRanksInPassesAndGathersInWindows) {
  const std::vector<RecordBatch> input = RandomBatches(40, 5000, 30000, 17);
  auto scan = TableScan::FromBatches(input[0].shared_schema(), input);
  TopNOptions options;
  options.groups = {"g", "h"};
  options.order = {{"v", true}};
  options.n = 2;
  options.run.cpu_threads = 2;
  options.run.memory_budget = 4 << 20;
  const TopNResult result = TopNPerGroup(*scan, options);
  EXPECT_GT(result.abandoned_passes, 0);
  EXPECT_GT(result.passes, 1);
  EXPECT_GT(result.gather_windows, 1);
  EXPECT_EQ(result.overdrafts, 0);
  EXPECT_LE(result.peak_held_bytes, result.held_budget);
  EXPECT_EQ(result.input_rows, 200000);
  std::map<std::string, std::vector<int64_t>> got;
  int64_t rows = 0;
  for (const RecordBatch& b : result.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      got[GroupOf(b, r)].push_back(b.column(3).Value<int64_t>(r));
    }
    rows += b.num_rows();
  }
  const auto expected = Expected(input, 2);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(result.groups, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(result.output_rows, rows);
  // Group after group: a group's rows are next to each other.
  std::string last;
  std::set<std::string> done;
  for (const RecordBatch& b : result.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const std::string group = GroupOf(b, r);
      if (group == last) continue;
      EXPECT_TRUE(done.insert(group).second) << group << " comes back after another group";
      last = group;
    }
  }
}

// Wide rows whose output does not fit the budget at once: one ranking pass, several gather
// windows, each group's rows best first.
TEST(TopNPerGroupTest, WideOutputIsGatheredInWindows) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"g", DataType::Int32()},
                                                                  {"v", DataType::Int64()},
                                                                  {"payload", DataType::String()},
                                                                  {"id", DataType::Int64()}});
  std::mt19937_64 rng(3);
  std::vector<RecordBatch> input;
  int64_t id = 0;
  for (int b = 0; b < 20; ++b) {
    Int32Builder g;
    Int64Builder v;
    StringBuilder payload;
    Int64Builder ids;
    for (int r = 0; r < 2000; ++r) {
      g.Append(static_cast<int32_t>(rng() % 4000));
      v.Append(static_cast<int64_t>(rng() % 1000));
      payload.Append(std::string(300, static_cast<char>('a' + id % 26)));
      ids.Append(id++);
    }
    input.push_back(
        RecordBatch::Make(schema, {g.Finish(), v.Finish(), payload.Finish(), ids.Finish()}));
  }
  TopNOptions options;
  options.groups = {"g"};
  options.order = {{"v", false}};
  options.n = 3;
  options.run.cpu_threads = 2;
  options.run.memory_budget = 4 << 20;
  const TopNResult result = TopNPerGroup(*TableScan::FromBatches(schema, input), options);
  EXPECT_EQ(result.passes, 1);
  EXPECT_GT(result.gather_windows, 1);
  EXPECT_EQ(result.overdrafts, 0);
  // group -> (v, id) best first, against a stable sort.
  const RecordBatch all = Concat(input);
  std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> expected;
  for (int64_t r = 0; r < all.num_rows(); ++r) {
    expected[all.column(0).Value<int32_t>(r)].emplace_back(all.column(1).Value<int64_t>(r),
                                                           all.column(3).Value<int64_t>(r));
  }
  for (auto& [_, rows] : expected) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    rows.resize(std::min<size_t>(3, rows.size()));
  }
  std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> got;
  for (const RecordBatch& b : result.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      got[b.column(0).Value<int32_t>(r)].emplace_back(b.column(1).Value<int64_t>(r),
                                                      b.column(3).Value<int64_t>(r));
      EXPECT_EQ(b.column(2).BinaryValue(r),
                std::string(300, static_cast<char>('a' + b.column(3).Value<int64_t>(r) % 26)));
    }
  }
  EXPECT_EQ(got, expected);
}

TEST(TopNPerGroupTest, SeveralOrderColumnsTakeTheGeneralPathAndEqualBruteForce) {
  const std::vector<RecordBatch> input = RandomBatches(10, 3000, 200, 5);
  const TopNTable probe(input[0].shared_schema(), {"g"}, {{"v", true}, {"id", false}}, 2);
  EXPECT_FALSE(probe.fast_path());
  for (int64_t n : {1, 3}) {
    TopNOptions options;
    options.groups = {"g", "h"};
    // id is unique and ascending, so the second key only restates the tie rule.
    options.order = {{"v", true}, {"id", false}};
    options.n = n;
    options.run.cpu_threads = 2;
    TopNResult result =
        TopNPerGroup(*TableScan::FromBatches(input[0].shared_schema(), input), options);
    std::map<std::string, std::vector<int64_t>> got;
    for (const RecordBatch& b : result.batches) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        got[GroupOf(b, r)].push_back(b.column(3).Value<int64_t>(r));
      }
    }
    EXPECT_EQ(got, Expected(input, static_cast<size_t>(n))) << "n = " << n;
  }
}

// (g int32 with nulls, k of `type` with nulls, NaN, -0.0, extremes and many ties, id int64).
std::vector<RecordBatch> OrderTypeBatches(const DataType& type, int batches, int rows,
                                          uint64_t groups, uint64_t seed) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"g", DataType::Int32()}, {"k", type}, {"id", DataType::Int64()}});
  std::mt19937_64 rng(seed);
  std::vector<RecordBatch> out;
  int64_t id = 0;
  for (int b = 0; b < batches; ++b) {
    Int32Builder g;
    std::unique_ptr<ArrayBuilder> k = MakeBuilder(type);
    Int64Builder ids;
    for (int r = 0; r < rows; ++r) {
      if (rng() % 40 == 0) {
        g.AppendNull();
      } else {
        g.Append(static_cast<int32_t>(rng() % groups));
      }
      const uint64_t pick = rng() % 16;
      if (pick == 0) {
        k->AppendNull();
      } else if (type.id() == TypeId::kBool) {
        static_cast<BoolBuilder&>(*k).Append(rng() % 2 == 0);
      } else if (type.id() == TypeId::kFloat64 || type.id() == TypeId::kFloat32) {
        constexpr double kInf = std::numeric_limits<double>::infinity();
        const double specials[] = {std::nan(""), -std::nan(""), -0.0, 0.0, kInf, -kInf};
        const double v = pick == 1 ? specials[rng() % 6] : static_cast<double>(rng() % 9) - 4.5;
        if (type.id() == TypeId::kFloat64) {
          static_cast<Float64Builder&>(*k).Append(v);
        } else {
          static_cast<Float32Builder&>(*k).Append(static_cast<float>(v));
        }
      } else if (type.id() == TypeId::kInt64 || type.id() == TypeId::kTimestamp) {
        const int64_t specials[] = {std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::min(), -1, 0};
        const int64_t v = pick == 1 ? specials[rng() % 4] : static_cast<int64_t>(rng() % 9) - 4;
        static_cast<Int64Builder&>(*k).Append(v);
      } else if (type.id() == TypeId::kUInt64) {
        const uint64_t v = pick == 1 ? std::numeric_limits<uint64_t>::max() - rng() % 2 : rng() % 9;
        static_cast<UInt64Builder&>(*k).Append(v);
      } else if (type.id() == TypeId::kInt8) {
        const int8_t v = pick == 1 ? (rng() % 2 ? INT8_MAX : INT8_MIN)
                                   : static_cast<int8_t>(static_cast<int>(rng() % 9) - 4);
        static_cast<Int8Builder&>(*k).Append(v);
      } else {  // int32 and date32
        const int32_t v =
            pick == 1 ? (rng() % 2 ? INT32_MAX : INT32_MIN) : static_cast<int32_t>(rng() % 9) - 4;
        static_cast<Int32Builder&>(*k).Append(v);
      }
      ids.Append(id++);
    }
    out.push_back(RecordBatch::Make(schema, {g.Finish(), k->Finish(), ids.Finish()}));
  }
  return out;
}

// group -> positions (row numbers of `all`) in the order given.
std::map<std::string, std::vector<int64_t>> ByGroup(const RecordBatch& all,
                                                    const std::vector<int64_t>& positions) {
  std::map<std::string, std::vector<int64_t>> out;
  for (int64_t p : positions) out[FormatValue(all.column(0), p)].push_back(p);
  return out;
}

std::vector<int64_t> Positions(const TopNTable& table) {
  std::vector<int64_t> out;
  table.AppendPositions(out);
  return out;
}

// Two partials (even and odd batches, so each group's rows are split between them and the second
// holds earlier rows of some groups than the first), the second merged into the first and freed;
// positions number the rows of the input reversed.
std::vector<int64_t> MergedPartials(const std::vector<RecordBatch>& input,
                                    const std::vector<SortKey>& order, int64_t n,
                                    TopNTable::Path path) {
  const auto schema = input[0].shared_schema();
  TopNTable a(schema, {"g"}, order, n, path);
  auto b = std::make_unique<TopNTable>(schema, std::vector<std::string>{"g"}, order, n, path);
  int64_t position = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    // Odd batches first into b, so b's positions are not all after a's.
    (i % 2 == 0 ? a : *b).Consume(input[input.size() - 1 - i], position);
    position += input[input.size() - 1 - i].num_rows();
  }
  const TopNTable::Missing missing = a.MissingGroups(*b);
  const int64_t groups = a.num_groups();
  EXPECT_LE(missing.groups, b->num_groups());
  EXPECT_EQ(b->AllGroups().groups, b->num_groups());
  a.MergeFrom(*b);
  b.reset();  // the keys a took from b are its own
  EXPECT_EQ(a.num_groups(), groups + missing.groups);
  return Positions(a);
}

// The fast path (one numeric order column ranked as an integer) keeps exactly the general
// path's rows, for every type it serves, both directions, N in {1, 2, 5}, in one table and
// through partials merged into one another as TopNPerGroup merges them.
TEST(TopNTableTest, FastPathEqualsGeneralPath) {
  const std::vector<DataType> types = {
      DataType::Float64(), DataType::Float32(), DataType::Int32(),
      DataType::Int64(),   DataType::UInt64(),  DataType::Int8(),
      DataType::Bool(),    DataType::Date32(),  DataType::Timestamp(TimeUnit::kMicro)};
  uint64_t seed = 1;
  for (const DataType& type : types) {
    const std::vector<RecordBatch> input =
        OrderTypeBatches(type, 6, 2000, seed % 2 ? 97 : 3000, seed);
    ++seed;
    for (bool descending : {false, true}) {
      for (int64_t n : {1, 2, 5}) {
        SCOPED_TRACE(type.ToString() + (descending ? " desc" : " asc") + " n=" + std::to_string(n));
        const std::vector<SortKey> order = {{"k", descending}};
        TopNTable fast(input[0].shared_schema(), {"g"}, order, n);
        TopNTable general(input[0].shared_schema(), {"g"}, order, n, TopNTable::Path::kGeneral);
        ASSERT_TRUE(fast.fast_path());
        ASSERT_FALSE(general.fast_path());
        int64_t position = 0;
        for (const RecordBatch& b : input) {
          fast.Consume(b, position);
          general.Consume(b, position);
          position += b.num_rows();
        }
        const std::vector<int64_t> expected = Positions(general);
        EXPECT_EQ(Positions(fast), expected);
        EXPECT_EQ(fast.num_rows(), static_cast<int64_t>(expected.size()));

        const std::vector<int64_t> merged_fast =
            MergedPartials(input, order, n, TopNTable::Path::kAuto);
        EXPECT_EQ(merged_fast, MergedPartials(input, order, n, TopNTable::Path::kGeneral));
        // The partials saw the batches in another order, with the same positions: same rows.
        std::vector<RecordBatch> reversed(input.rbegin(), input.rend());
        TopNTable single(input[0].shared_schema(), {"g"}, order, n);
        position = 0;
        for (const RecordBatch& b : reversed) {
          single.Consume(b, position);
          position += b.num_rows();
        }
        const RecordBatch all = Concat(reversed);
        EXPECT_EQ(ByGroup(all, merged_fast), ByGroup(all, Positions(single)));
      }
    }
  }
}

// Against brute force on the fast path's own terms: doubles with NaN (above +inf), -0.0 equal
// to 0.0 (ties by position), nulls last and kept only when a group has fewer than N others.
TEST(TopNTableTest, FastPathDoublesEqualBruteForce) {
  for (uint64_t groups : {97, 3000}) {
    const std::vector<RecordBatch> input =
        OrderTypeBatches(DataType::Float64(), 5, 3000, groups, 77);
    const RecordBatch all = Concat(input);
    const Array& k = all.column(1);
    auto rank = [&](int64_t r) {  // 0: valid value (second: the value), 1: null
      double v = k.IsNull(r) ? 0 : k.Value<double>(r);
      if (std::isnan(v)) v = std::numeric_limits<double>::infinity() * 2;  // still +inf
      return std::make_tuple(k.IsNull(r) ? 1 : 0, std::isnan(k.Value<double>(r)) ? 1 : 0, v);
    };
    for (bool descending : {false, true}) {
      for (int64_t n : {1, 2, 5}) {
        std::map<std::string, std::vector<int64_t>> rows;
        for (int64_t r = 0; r < all.num_rows(); ++r) {
          rows[FormatValue(all.column(0), r)].push_back(r);
        }
        std::map<std::string, std::vector<int64_t>> expected;
        for (auto& [group, members] : rows) {
          std::stable_sort(members.begin(), members.end(), [&](int64_t x, int64_t y) {
            auto [xn, xnan, xv] = rank(x);
            auto [yn, ynan, yv] = rank(y);
            if (xn != yn) return xn < yn;
            if (xn == 1) return false;
            if (descending) return std::tie(ynan, yv) < std::tie(xnan, xv);
            return std::tie(xnan, xv) < std::tie(ynan, yv);
          });
          members.resize(std::min(static_cast<size_t>(n), members.size()));
          for (int64_t r : members) expected[group].push_back(r);
        }
        TopNTable table(input[0].shared_schema(), {"g"}, {{"k", descending}}, n);
        ASSERT_TRUE(table.fast_path());
        int64_t position = 0;
        for (const RecordBatch& b : input) {
          table.Consume(b, position);
          position += b.num_rows();
        }
        EXPECT_EQ(ByGroup(all, Positions(table)), expected)
            << (descending ? "desc" : "asc") << " n = " << n;
      }
    }
  }
}

// Only the selected columns are kept and output (here without the group and order columns), and
// the rows are the same as with all columns.
TEST(TopNPerGroupTest, SelectedColumnsOnly) {
  const std::vector<RecordBatch> input = RandomBatches(12, 3000, 250, 21);
  auto scan = TableScan::FromBatches(input[0].shared_schema(), input);
  TopNOptions options;
  options.groups = {"g", "h"};
  options.order = {{"v", true}};
  options.n = 2;
  options.run.cpu_threads = 2;
  const TopNResult all = TopNPerGroup(*scan, options);
  options.columns = {"id", "h"};
  const TopNResult some = TopNPerGroup(*scan, options);
  ASSERT_EQ(some.schema->num_fields(), 2);
  EXPECT_EQ(some.schema->field(0).name, "id");
  EXPECT_EQ(some.schema->field(1).name, "h");
  std::vector<int64_t> all_ids;
  std::vector<int64_t> some_ids;
  for (const RecordBatch& b : all.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) all_ids.push_back(b.column(3).Value<int64_t>(r));
  }
  for (const RecordBatch& b : some.batches) {
    ASSERT_EQ(b.num_columns(), 2);
    for (int64_t r = 0; r < b.num_rows(); ++r) some_ids.push_back(b.column(0).Value<int64_t>(r));
  }
  std::sort(all_ids.begin(), all_ids.end());
  std::sort(some_ids.begin(), some_ids.end());
  EXPECT_EQ(some_ids, all_ids);
  EXPECT_EQ(some.output_rows, all.output_rows);
  options.columns = {"id", "missing"};
  try {
    TopNPerGroup(*scan, options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
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
