#include "sluice/ops/hash_aggregation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

using Key = std::pair<std::optional<std::string>, int32_t>;

struct Row {
  std::optional<std::string> k1;
  int32_t k2;
  std::optional<int64_t> v;
  std::optional<double> x;
};

std::vector<Row> RandomRows(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) {
    Row r;
    if (rng() % 10 != 0) r.k1 = "k" + std::to_string(rng() % 20);
    r.k2 = static_cast<int32_t>(rng() % 10);
    if (rng() % 7 != 0) r.v = static_cast<int64_t>(rng() % 2001) - 1000;
    if (rng() % 5 != 0) r.x = static_cast<double>(rng() % 100000) / 100.0;
    rows.push_back(r);
  }
  return rows;
}

const Schema& InputSchema() {
  static const Schema schema({{"k1", DataType::String()},
                              {"k2", DataType::Int32()},
                              {"v", DataType::Int64()},
                              {"x", DataType::Float64()}});
  return schema;
}

RecordBatch ToBatch(std::span<const Row> rows) {
  StringBuilder k1;
  Int32Builder k2;
  Int64Builder v;
  Float64Builder x;
  for (const Row& r : rows) {
    r.k1 ? k1.Append(*r.k1) : k1.AppendNull();
    k2.Append(r.k2);
    r.v ? v.Append(*r.v) : v.AppendNull();
    r.x ? x.Append(*r.x) : x.AppendNull();
  }
  return RecordBatch::Make(InputSchema(), {k1.Finish(), k2.Finish(), v.Finish(), x.Finish()});
}

GroupBySpec Spec() {
  GroupBySpec spec;
  spec.keys = {"k1", "k2"};
  spec.aggregates = ParseAggregateCalls(
      "count(*), count(v), count_distinct(v), sum(v), min(v), max(v), mean(x), var(x), "
      "stddev(x), median(x), first(v), last(v), min(k1), max(k1), corr(x, v)");
  return spec;
}

// One output row as comparable values (nullopt for null), in the order of Spec().
using Values = std::vector<std::optional<double>>;

Values Reference(const std::vector<const Row*>& rows) {
  std::vector<int64_t> vs;
  std::vector<double> xs;
  std::vector<std::pair<double, double>> xv;
  std::set<int64_t> distinct;
  for (const Row* r : rows) {
    if (r->v) {
      vs.push_back(*r->v);
      distinct.insert(*r->v);
    }
    if (r->x) xs.push_back(*r->x);
    if (r->x && r->v) xv.emplace_back(*r->x, static_cast<double>(*r->v));
  }
  Values out;
  out.push_back(static_cast<double>(rows.size()));
  out.push_back(static_cast<double>(vs.size()));
  out.push_back(static_cast<double>(distinct.size()));
  auto opt = [](bool has, double v) { return has ? std::optional<double>(v) : std::nullopt; };
  int64_t sum = 0;
  for (int64_t v : vs) sum += v;
  out.push_back(opt(!vs.empty(), static_cast<double>(sum)));
  out.push_back(opt(!vs.empty(), vs.empty() ? 0 : *std::min_element(vs.begin(), vs.end())));
  out.push_back(opt(!vs.empty(), vs.empty() ? 0 : *std::max_element(vs.begin(), vs.end())));
  double xsum = 0;
  for (double x : xs) xsum += x;
  const double mean = xs.empty() ? 0 : xsum / static_cast<double>(xs.size());
  out.push_back(opt(!xs.empty(), mean));
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  const double var = xs.size() < 2 ? 0 : ss / static_cast<double>(xs.size() - 1);
  out.push_back(opt(xs.size() >= 2, var));
  out.push_back(opt(xs.size() >= 2, std::sqrt(var)));
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  double median = 0;
  if (!sorted.empty()) {
    const size_t m = sorted.size() / 2;
    median = sorted.size() % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
  out.push_back(opt(!sorted.empty(), median));
  // first/last keep nulls.
  out.push_back(rows.front()->v ? std::optional<double>(*rows.front()->v) : std::nullopt);
  out.push_back(rows.back()->v ? std::optional<double>(*rows.back()->v) : std::nullopt);
  // min/max of k1 are checked separately (strings): all rows of a group share k1.
  double mx = 0, my = 0;
  for (auto [x, y] : xv) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(std::max<size_t>(1, xv.size()));
  my /= static_cast<double>(std::max<size_t>(1, xv.size()));
  double sxx = 0, syy = 0, sxy = 0;
  for (auto [x, y] : xv) {
    sxx += (x - mx) * (x - mx);
    syy += (y - my) * (y - my);
    sxy += (x - mx) * (y - my);
  }
  out.push_back(opt(xv.size() >= 2 && sxx * syy > 0, sxy / std::sqrt(sxx * syy)));
  return out;
}

std::optional<double> Cell(const Array& a, int64_t r) {
  if (a.IsNull(r)) return std::nullopt;
  switch (a.type().id()) {
    case TypeId::kInt64:
      return static_cast<double>(a.Value<int64_t>(r));
    case TypeId::kFloat64:
      return a.Value<double>(r);
    default:
      ADD_FAILURE() << a.type().ToString();
      return std::nullopt;
  }
}

void ExpectMatchesReference(const std::vector<RecordBatch>& results, const std::vector<Row>& rows) {
  std::map<Key, std::vector<const Row*>> groups;
  for (const Row& r : rows) groups[{r.k1, r.k2}].push_back(&r);
  std::set<Key> seen;
  for (const RecordBatch& b : results) {
    ASSERT_EQ(b.num_columns(), 2 + 15);
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      Key key{b.column(0).IsNull(i) ? std::nullopt
                                    : std::optional<std::string>(b.column(0).BinaryValue(i)),
              b.column(1).Value<int32_t>(i)};
      ASSERT_TRUE(seen.insert(key).second) << "group twice";
      auto it = groups.find(key);
      ASSERT_NE(it, groups.end());
      const Values want = Reference(it->second);
      // Columns 2..13 in Spec() order, skipping min(k1)/max(k1) at 14, 15; corr at 16.
      for (int c = 0; c < 12; ++c) {
        const std::optional<double> got = Cell(b.column(2 + c), i);
        ASSERT_EQ(got.has_value(), want[c].has_value()) << b.schema().field(2 + c).name;
        if (got) {
          EXPECT_NEAR(*got, *want[c], 1e-9 * std::max(1.0, std::abs(*want[c])))
              << b.schema().field(2 + c).name;
        }
      }
      for (int c : {14, 15}) {
        ASSERT_EQ(b.column(c).IsNull(i), !key.first.has_value());
        if (key.first) {
          EXPECT_EQ(b.column(c).BinaryValue(i), *key.first);
        }
      }
      const std::optional<double> corr = Cell(b.column(16), i);
      ASSERT_EQ(corr.has_value(), want[12].has_value());
      if (corr) {
        EXPECT_NEAR(*corr, *want[12], 1e-9);
      }
    }
  }
  EXPECT_EQ(seen.size(), groups.size());
}

TEST(HashAggregationTest, OneStateMatchesAReferenceForEveryFunction) {
  const std::vector<Row> rows = RandomRows(20000, 1);
  HashAggregation agg(InputSchema(), Spec());
  for (size_t start = 0; start < rows.size(); start += 1500) {
    const size_t n = std::min<size_t>(1500, rows.size() - start);
    agg.Consume(ToBatch(std::span(rows).subspan(start, n)), static_cast<int64_t>(start));
  }
  ExpectMatchesReference({agg.Finish()}, rows);
}

// Finishing in batches of a few rows gives the same rows, in group order, as one Finish: every
// built-in aggregate's FinishSlice (and the default one, through count_distinct) covers its range.
TEST(HashAggregationTest, FinishInBatchesEqualsOneFinish) {
  const std::vector<Row> rows = RandomRows(8000, 3);
  HashAggregation whole(InputSchema(), Spec());
  HashAggregation sliced(InputSchema(), Spec());
  whole.Consume(ToBatch(rows), 0);
  sliced.Consume(ToBatch(rows), 0);
  const RecordBatch want = whole.Finish();
  ASSERT_GT(want.num_rows(), 100);
  std::vector<RecordBatch> got;
  sliced.Finish(37, [&](RecordBatch b) { got.push_back(std::move(b)); });
  ASSERT_EQ(got.size(), static_cast<size_t>((want.num_rows() + 36) / 37));
  int64_t row = 0;
  for (const RecordBatch& b : got) {
    EXPECT_LE(b.num_rows(), 37);
    for (int64_t r = 0; r < b.num_rows(); ++r, ++row) {
      for (int c = 0; c < want.num_columns(); ++c) {
        SCOPED_TRACE(want.schema().field(c).name);
        const Array& w = want.column(c);
        const Array& g = b.column(c);
        ASSERT_EQ(w.IsNull(row), g.IsNull(r));
        if (w.IsNull(row)) continue;
        if (w.type().id() == TypeId::kString) {
          EXPECT_EQ(w.BinaryValue(row), g.BinaryValue(r));
        } else if (w.type().id() == TypeId::kFloat64) {
          EXPECT_EQ(w.Value<double>(row), g.Value<double>(r));
        } else if (w.type().id() == TypeId::kInt32) {
          EXPECT_EQ(w.Value<int32_t>(row), g.Value<int32_t>(r));
        } else {
          EXPECT_EQ(w.Value<int64_t>(row), g.Value<int64_t>(r));
        }
      }
    }
  }
  EXPECT_EQ(row, want.num_rows());
}

TEST(HashAggregationTest, PartialsMergedByPartitionMatchTheReference) {
  const std::vector<Row> rows = RandomRows(30000, 2);
  HashAggregation prototype(InputSchema(), Spec());
  std::vector<std::unique_ptr<HashAggregation>> partials;
  for (int t = 0; t < 3; ++t) partials.push_back(prototype.NewEmpty());
  // Batches dealt to partials out of order, as threads would take them.
  int turn = 0;
  for (size_t start = 0; start < rows.size(); start += 1000, ++turn) {
    const size_t n = std::min<size_t>(1000, rows.size() - start);
    partials[static_cast<size_t>((turn * 7) % 3)]->Consume(
        ToBatch(std::span(rows).subspan(start, n)), static_cast<int64_t>(start));
  }
  constexpr int kPartitions = 4;
  for (auto& p : partials) p->Seal(kPartitions);
  std::vector<RecordBatch> results;
  int64_t groups = 0;
  for (int part = 0; part < kPartitions; ++part) {
    auto final_state = prototype.NewEmpty();
    for (auto& p : partials) final_state->MergePartition(*p, part);
    groups += final_state->num_groups();
    results.push_back(final_state->Finish());
  }
  EXPECT_GT(groups, 150);
  ExpectMatchesReference(results, rows);
}

TEST(HashAggregationTest, NoKeysGivesOneRowAndEmptyInputGivesNone) {
  GroupBySpec spec;
  spec.aggregates = ParseAggregateCalls("count(*), sum(v)");
  HashAggregation empty(InputSchema(), spec);
  EXPECT_EQ(empty.Finish().num_rows(), 0);
  HashAggregation agg(InputSchema(), spec);
  const std::vector<Row> rows = RandomRows(1000, 3);
  agg.Consume(ToBatch(rows), 0);
  RecordBatch out = agg.Finish();
  ASSERT_EQ(out.num_rows(), 1);
  EXPECT_EQ(out.column(0).Value<int64_t>(0), 1000);
}

TEST(HashAggregationTest, UnknownColumnsAreNamed) {
  GroupBySpec spec;
  spec.keys = {"nope"};
  try {
    HashAggregation agg(InputSchema(), spec);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  spec.keys = {"k1"};
  spec.aggregates = ParseAggregateCalls("sum(missing)");
  EXPECT_THROW(HashAggregation(InputSchema(), spec), Error);
}

// A user aggregate through the interface: the product of int64 values modulo a prime.
class ProductModAggregator final : public Aggregator {
 public:
  DataType output_type() const override { return DataType::Int64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<ProductModAggregator>();
  }
  void Resize(int64_t groups) override { p_.resize(static_cast<size_t>(groups), 1); }
  void Update(std::span<const Array* const> in, std::span<const uint32_t> groups,
              RowPositions) override {
    for (size_t r = 0; r < groups.size(); ++r) {
      if (in[0]->IsValid(static_cast<int64_t>(r))) {
        const int64_t v = in[0]->Value<int64_t>(static_cast<int64_t>(r));
        p_[groups[r]] = p_[groups[r]] * (((v % kMod) + kMod) % kMod) % kMod;
      }
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<ProductModAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) p_[to[i]] = p_[to[i]] * o.p_[from[i]] % kMod;
  }
  Array Finish() override {
    Int64Builder b;
    b.AppendValues(p_);
    return b.Finish();
  }
  int64_t ByteSize() const override { return static_cast<int64_t>(p_.size() * 8); }

 private:
  static constexpr int64_t kMod = 1000003;
  std::vector<int64_t> p_;
};

TEST(HashAggregationTest, UserAggregatesPlugIn) {
  GroupBySpec spec;
  spec.keys = {"k2"};
  spec.aggregates = ParseAggregateCalls("prodmod(v)");
  spec.user_functions.emplace_back("prodmod", [](std::span<const DataType>) {
    return std::make_unique<ProductModAggregator>();
  });
  const std::vector<Row> rows = RandomRows(5000, 4);
  HashAggregation agg(InputSchema(), spec);
  agg.Consume(ToBatch(rows), 0);
  // Finished in batches through the default FinishSlice (Finish once, then slices of it).
  std::vector<RecordBatch> batches;
  agg.Finish(7, [&](RecordBatch b) { batches.push_back(std::move(b)); });
  std::map<int32_t, int64_t> want;
  for (const Row& r : rows) {
    auto [it, _] = want.emplace(r.k2, 1);
    if (r.v) it->second = it->second * (((*r.v % 1000003) + 1000003) % 1000003) % 1000003;
  }
  ASSERT_EQ(batches.size(), (want.size() + 6) / 7);
  size_t seen = 0;
  for (const RecordBatch& out : batches) {
    for (int64_t i = 0; i < out.num_rows(); ++i, ++seen) {
      EXPECT_EQ(out.column(1).Value<int64_t>(i), want.at(out.column(0).Value<int32_t>(i)));
    }
  }
  EXPECT_EQ(seen, want.size());
}

}  // namespace
}  // namespace sluice
