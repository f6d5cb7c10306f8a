#include "sluice/ops/sort/external_sort.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Batches of (k int64 with nulls, s string with nulls, d double with NaN and nulls, id int64
// unique): many duplicate keys, so stability shows.
std::vector<RecordBatch> RandomBatches(int batches, int rows, uint64_t seed) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"k", DataType::Int64()},
                                                                  {"s", DataType::String()},
                                                                  {"d", DataType::Float64()},
                                                                  {"id", DataType::Int64()}});
  std::mt19937_64 rng(seed);
  std::vector<RecordBatch> out;
  int64_t id = 0;
  for (int b = 0; b < batches; ++b) {
    Int64Builder k;
    StringBuilder s;
    Float64Builder d;
    Int64Builder ids;
    for (int r = 0; r < rows; ++r) {
      if (rng() % 10 == 0) {
        k.AppendNull();
      } else {
        k.Append(static_cast<int64_t>(rng() % 20) - 10);
      }
      if (rng() % 10 == 0) {
        s.AppendNull();
      } else {
        s.Append("v" + std::to_string(rng() % 30));
      }
      const uint64_t x = rng() % 20;
      if (x == 0) {
        d.AppendNull();
      } else {
        d.Append(x == 1 ? std::nan("") : static_cast<double>(x % 7));
      }
      ids.Append(id++);
    }
    out.push_back(RecordBatch::Make(schema, {k.Finish(), s.Finish(), d.Finish(), ids.Finish()}));
  }
  return out;
}

int CompareCell(const Array& a, int64_t i, int64_t j) {
  if (a.IsNull(i) || a.IsNull(j)) return a.IsNull(i) - a.IsNull(j);
  switch (a.type().id()) {
    case TypeId::kInt64: {
      const int64_t x = a.Value<int64_t>(i);
      const int64_t y = a.Value<int64_t>(j);
      return (x > y) - (x < y);
    }
    case TypeId::kFloat64: {
      const double x = a.Value<double>(i);
      const double y = a.Value<double>(j);
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) - std::isnan(y);
      return (x > y) - (x < y);
    }
    default: {
      const int c = a.BinaryValue(i).compare(a.BinaryValue(j));
      return (c > 0) - (c < 0);
    }
  }
}

// The ids in the order a stable sort by the keys gives.
std::vector<int64_t> ReferenceOrder(const std::vector<RecordBatch>& batches,
                                    const std::vector<SortKey>& keys) {
  const RecordBatch all = Concat(batches);
  std::vector<int64_t> rows(static_cast<size_t>(all.num_rows()));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  std::stable_sort(rows.begin(), rows.end(), [&](int64_t x, int64_t y) {
    for (const SortKey& key : keys) {
      const Array& a = all.column(key.column);
      int c = CompareCell(a, x, y);
      if (c != 0 && !(a.IsNull(x) || a.IsNull(y)) && key.descending) c = -c;
      if (c != 0) return c < 0;
    }
    return false;
  });
  std::vector<int64_t> ids;
  for (int64_t r : rows) ids.push_back(all.column("id").Value<int64_t>(r));
  return ids;
}

class ExternalSortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_sort_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  bool SpillDirEmpty() const { return fs::is_empty(dir_); }

  SortOptions Options(std::vector<SortKey> keys, int64_t budget) const {
    SortOptions options;
    options.keys = std::move(keys);
    options.run.memory_budget = budget;
    options.run.cpu_threads = 2;
    options.spill_dir = dir_.string();
    return options;
  }

  fs::path dir_;
};

std::vector<int64_t> Ids(const std::vector<RecordBatch>& batches) {
  std::vector<int64_t> ids;
  for (const RecordBatch& b : batches) {
    const Array& id = b.column("id");
    for (int64_t r = 0; r < b.num_rows(); ++r) ids.push_back(id.Value<int64_t>(r));
  }
  return ids;
}

SortStats Sort(const std::vector<RecordBatch>& input, const SortOptions& options,
               std::vector<RecordBatch>* out) {
  auto scan = TableScan::FromBatches(input[0].shared_schema(), input);
  return SortTable(*scan, options, [out](const RecordBatch& b) {
    EXPECT_EQ(b.num_columns(), 4);
    out->push_back(b);
  });
}

TEST_F(ExternalSortTest, InMemoryAndSpilledSortsAreStableAndEqualTheReference) {
  const std::vector<RecordBatch> input = RandomBatches(40, 5000, 1);
  int64_t input_bytes = 0;
  for (const RecordBatch& b : input) input_bytes += ByteSize(b);
  for (const std::vector<SortKey>& keys :
       {std::vector<SortKey>{{"k", false}}, std::vector<SortKey>{{"d", true}, {"s", false}},
        std::vector<SortKey>{{"s", true}, {"k", true}, {"d", false}},
        // Unique small integers: every key shares its leading bytes, which the sort skips.
        std::vector<SortKey>{{"id", true}}}) {
    SCOPED_TRACE(FormatSortKeys(keys));
    const std::vector<int64_t> expected = ReferenceOrder(input, keys);
    std::vector<RecordBatch> plenty;
    SortStats big = Sort(input, Options(keys, 1_GiB), &plenty);
    EXPECT_EQ(big.spilled_runs, 0);
    EXPECT_EQ(big.input_rows, 200000);
    EXPECT_EQ(big.output_rows, 200000);
    EXPECT_EQ(Ids(plenty), expected);

    std::vector<RecordBatch> small;
    SortStats tight = Sort(input, Options(keys, input_bytes / 20), &small);
    EXPECT_GT(tight.spilled_runs, 2);
    EXPECT_GT(tight.spilled_bytes, 0);
    EXPECT_GT(tight.intermediate_merges, 0) << "the small budget should force a multi-pass merge";
    EXPECT_EQ(Ids(small), expected);
    EXPECT_TRUE(SpillDirEmpty());
  }
}

TEST_F(ExternalSortTest, SpillingHoldsTheBudgetAndWritesRunsAsLongAsItAllows) {
  const std::vector<RecordBatch> input = RandomBatches(80, 5000, 5);
  const std::vector<SortKey> keys{{"s", false}, {"d", true}};
  const std::vector<int64_t> expected = ReferenceOrder(input, keys);
  for (int64_t budget : {int64_t{6} << 20, int64_t{12} << 20}) {
    SCOPED_TRACE(budget);
    std::vector<RecordBatch> out;
    SortOptions options = Options(keys, budget);
    options.batch_bytes = 64 << 10;
    const SortStats stats = Sort(input, options, &out);
    EXPECT_EQ(Ids(out), expected);
    EXPECT_EQ(stats.overdrafts, 0);
    EXPECT_LE(stats.peak_held_bytes, stats.held_budget);
    EXPECT_GT(stats.spilled_runs, 1);
    // Runs spill one by one only while their readers would take an eighth of the budget; past
    // that each spill writes every run held in memory as one: runs of at least a third of the
    // budget, not one per chunk (a tenth of it).
    const int64_t single = stats.held_budget / 8 / (3 * stats.batch_bytes);
    EXPECT_LE(stats.spilled_runs, single + 3 * stats.sorted_bytes / stats.held_budget + 1)
        << stats.sorted_bytes << " bytes sorted";
    EXPECT_EQ(stats.intermediate_merges, 0)
        << "the runs are few enough for one merge " << stats.ToJson().dump();
    EXPECT_TRUE(SpillDirEmpty());
  }
}

TEST_F(ExternalSortTest, LimitKeepsTheFirstRowsWithoutSpilling) {
  const std::vector<RecordBatch> input = RandomBatches(20, 5000, 2);
  const std::vector<SortKey> keys{{"d", true}, {"k", false}};
  std::vector<int64_t> expected = ReferenceOrder(input, keys);
  expected.resize(37);
  SortOptions options = Options(keys, 4_MiB);
  options.limit = 37;
  std::vector<RecordBatch> out;
  SortStats stats = Sort(input, options, &out);
  EXPECT_EQ(stats.spilled_runs, 0);
  EXPECT_EQ(Ids(out), expected);
}

TEST_F(ExternalSortTest, SpillFilesAreRemovedAfterAFailingSinkAndACancellation) {
  const std::vector<RecordBatch> input = RandomBatches(20, 5000, 3);
  int64_t seen = 0;
  auto scan = TableScan::FromBatches(input[0].shared_schema(), input);
  SortOptions options = Options({{"s", false}}, 512_KiB);
  EXPECT_THROW(SortTable(*scan, options,
                         [&](const RecordBatch&) {
                           EXPECT_FALSE(SpillDirEmpty()) << "nothing spilled";
                           if (++seen == 2) throw IoError("disk full");
                         }),
               Error);
  EXPECT_TRUE(SpillDirEmpty());

  CancellationSource cancel;
  options.run.cancel = cancel.token();
  try {
    SortTable(*scan, options, [&](const RecordBatch&) { cancel.Cancel("interrupted"); });
    FAIL() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled) << e.what();
  }
  EXPECT_TRUE(SpillDirEmpty());
}

TEST_F(ExternalSortTest, UnknownColumnIsNamed) {
  const std::vector<RecordBatch> input = RandomBatches(1, 10, 4);
  std::vector<RecordBatch> out;
  try {
    Sort(input, Options({{"nope", false}}, 1_MiB), &out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
