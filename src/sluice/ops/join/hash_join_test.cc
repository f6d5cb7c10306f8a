#include "sluice/ops/join/hash_join.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "sluice/base/cancellation.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr JoinKind kAllKinds[] = {JoinKind::kInner, JoinKind::kLeft, JoinKind::kRight,
                                  JoinKind::kFull,  JoinKind::kSemi, JoinKind::kAnti};

std::string Cell(const Array& a, int64_t r) { return a.IsNull(r) ? "NULL" : FormatValue(a, r); }

// A table of rows as cell texts, with its key cells.
struct Table {
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;
  std::vector<std::vector<std::string>> rows;
};

// k1 string and k2 integer keys with nulls and duplicates, a value, and a column `s` that
// collides between the sides. `hot`: fraction of rows whose key is ("hot", 1).
Table MakeTable(bool left, int64_t rows, int batch_rows, uint64_t seed, double hot = 0,
                int distinct = 60) {
  std::mt19937_64 rng(seed);
  Table t;
  t.schema = std::make_shared<const Schema>(
      std::vector<Field>{{"k1", DataType::String()},
                         {"k2", left ? DataType::Int32() : DataType::Int64()},
                         {left ? "lv" : "rv", left ? DataType::Int64() : DataType::Float64()},
                         {"s", DataType::String()}});
  std::uniform_real_distribution<double> unit(0, 1);
  for (int64_t start = 0; start < rows; start += batch_rows) {
    StringBuilder k1;
    auto k2 = MakeBuilder(t.schema->field(1).type);
    Int64Builder lv;
    Float64Builder rv;
    StringBuilder s;
    const int64_t n = std::min<int64_t>(batch_rows, rows - start);
    for (int64_t r = 0; r < n; ++r) {
      const bool is_hot = unit(rng) < hot;
      if (!is_hot && unit(rng) < 0.05) {
        k1.AppendNull();
      } else {
        k1.Append(is_hot ? "hot" : "k" + std::to_string(rng() % distinct));
      }
      if (!is_hot && unit(rng) < 0.05) {
        k2->AppendNull();
      } else {
        const int64_t v = is_hot ? 1 : static_cast<int64_t>(rng() % 3);
        if (left) {
          static_cast<Int32Builder&>(*k2).Append(static_cast<int32_t>(v));
        } else {
          static_cast<Int64Builder&>(*k2).Append(v);
        }
      }
      if (left) {
        lv.Append(static_cast<int64_t>(start + r));
      } else {
        rv.Append(static_cast<double>(start + r) / 4);
      }
      s.Append((left ? "L" : "R") + std::to_string(start + r));
    }
    Array value = left ? lv.Finish() : rv.Finish();
    t.batches.push_back(
        RecordBatch::Make(t.schema, {k1.Finish(), k2->Finish(), std::move(value), s.Finish()}));
  }
  for (const RecordBatch& b : t.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < b.num_columns(); ++c) row.push_back(Cell(b.column(c), r));
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

std::string Join(const std::vector<std::string>& cells) {
  std::string out;
  for (const std::string& c : cells) out += c + "|";
  return out;
}

// The join by definition: output rows as text, sorted. Columns: k1, k2, lv, s, then rv, s_right.
std::vector<std::string> Reference(const Table& l, const Table& r, JoinKind kind) {
  auto key = [](const std::vector<std::string>& row) -> std::optional<std::string> {
    if (row[0] == "NULL" || row[1] == "NULL") return std::nullopt;
    return row[0] + "|" + row[1];
  };
  std::multimap<std::string, size_t> right_by_key;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    if (auto k = key(r.rows[i])) right_by_key.emplace(*k, i);
  }
  std::vector<bool> right_matched(r.rows.size(), false);
  std::vector<std::string> out;
  const std::vector<std::string> no_right = {"NULL", "NULL"};
  for (const auto& lrow : l.rows) {
    bool matched = false;
    if (auto k = key(lrow)) {
      auto [lo, hi] = right_by_key.equal_range(*k);
      for (auto it = lo; it != hi; ++it) {
        matched = true;
        right_matched[it->second] = true;
        if (kind != JoinKind::kSemi && kind != JoinKind::kAnti) {
          const auto& rrow = r.rows[it->second];
          out.push_back(Join(lrow) + Join({rrow[2], rrow[3]}));
        }
      }
    }
    if (kind == JoinKind::kSemi && matched) out.push_back(Join(lrow));
    if (kind == JoinKind::kAnti && !matched) out.push_back(Join(lrow));
    if (!matched && (kind == JoinKind::kLeft || kind == JoinKind::kFull)) {
      out.push_back(Join(lrow) + Join(no_right));
    }
  }
  if (kind == JoinKind::kRight || kind == JoinKind::kFull) {
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (right_matched[i]) continue;
      const auto& rrow = r.rows[i];
      out.push_back(Join({rrow[0], rrow[1], "NULL", "NULL"}) + Join({rrow[2], rrow[3]}));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Rows(const std::vector<RecordBatch>& batches) {
  std::vector<std::string> out;
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < b.num_columns(); ++c) row.push_back(Cell(b.column(c), r));
      out.push_back(Join(row));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class HashJoinTest : public ::testing::Test {
 protected:
  // Tiny budgets make the executor warn about every batch let over them.
  static void SetUpTestSuite() { SetLogLevel(LogLevel::kError); }
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_hash_join_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  JoinResult Run(const Table& l, const Table& r, JoinKind kind, JoinOptions options) {
    JoinSpec spec;
    spec.left_keys = {"k1", "k2"};
    spec.kind = kind;
    options.run.cpu_threads = 2;
    options.run.progress = ProgressMode::kOff;
    options.spill_dir = dir_.string();
    return RunHashJoin(*TableScan::FromBatches(l.schema, l.batches),
                       *TableScan::FromBatches(r.schema, r.batches), spec, options);
  }

  bool SpillDirIsEmpty() const { return fs::is_empty(dir_); }

  fs::path dir_;
};

JoinOptions Plenty() {
  JoinOptions options;
  options.run.memory_budget = 256 << 20;
  return options;
}

TEST_F(HashJoinTest, EveryKindMatchesTheDefinitionInMemoryWithEitherSideBuilt) {
  for (bool left_smaller : {true, false}) {
    const Table l = MakeTable(true, left_smaller ? 1500 : 4000, 700, 1);
    const Table r = MakeTable(false, left_smaller ? 4000 : 1500, 900, 2);
    for (JoinKind kind : kAllKinds) {
      SCOPED_TRACE(std::string(JoinKindName(kind)) +
                   (left_smaller ? " left built" : " right built"));
      JoinResult result = Run(l, r, kind, Plenty());
      EXPECT_EQ(result.strategy, "in_memory");
      EXPECT_EQ(result.build_side, left_smaller ? JoinSide::kLeft : JoinSide::kRight);
      const std::vector<std::string> expected = Reference(l, r, kind);
      EXPECT_GT(expected.size(), 100u);
      EXPECT_EQ(Rows(result.batches), expected);
      EXPECT_EQ(result.output_rows, static_cast<int64_t>(expected.size()));
      EXPECT_EQ(result.left_rows, static_cast<int64_t>(l.rows.size()));
      EXPECT_EQ(result.right_rows, static_cast<int64_t>(r.rows.size()));
    }
  }
}

TEST_F(HashJoinTest, OutputSchemaHasKeysOnceAndSuffixesCollidingNames) {
  const Table l = MakeTable(true, 10, 10, 1);
  const Table r = MakeTable(false, 10, 10, 2);
  JoinResult inner = Run(l, r, JoinKind::kInner, Plenty());
  ASSERT_EQ(inner.schema->num_fields(), 6);
  EXPECT_EQ(inner.schema->field(1).type, DataType::Int64());  // int32 against int64
  EXPECT_EQ(inner.schema->field(4).name, "rv");
  EXPECT_EQ(inner.schema->field(5).name, "s_right");
  JoinResult semi = Run(l, r, JoinKind::kSemi, Plenty());
  EXPECT_EQ(semi.schema->num_fields(), 4);
}

TEST_F(HashJoinTest, SpillsWithABudgetTwentyTimesSmallerThanTheDataAndGivesTheSameRows) {
  const Table l = MakeTable(true, 30000, 2000, 3, 0, 3000);
  const Table r = MakeTable(false, 20000, 2500, 4, 0, 3000);
  int64_t data = 0;
  for (const auto* t : {&l, &r}) {
    for (const RecordBatch& b : t->batches) data += ByteSize(b);
  }
  for (JoinKind kind : kAllKinds) {
    SCOPED_TRACE(JoinKindName(kind));
    JoinOptions small;
    small.run.memory_budget = data / 20;
    JoinResult spilled = Run(l, r, kind, small);
    EXPECT_EQ(spilled.strategy, "grace");
    EXPECT_GT(spilled.spilled_bytes, 0);
    EXPECT_GT(spilled.spill_files, 0);
    EXPECT_GE(spilled.partitions, 2);
    EXPECT_EQ(static_cast<int64_t>(spilled.partition_stats.size()) >= spilled.partitions, true);
    JoinResult plenty = Run(l, r, kind, Plenty());
    EXPECT_EQ(plenty.strategy, "in_memory");
    EXPECT_EQ(plenty.spilled_bytes, 0);
    EXPECT_EQ(Rows(spilled.batches), Rows(plenty.batches));
    EXPECT_EQ(Rows(spilled.batches), Reference(l, r, kind));
    EXPECT_TRUE(SpillDirIsEmpty());
  }
}

TEST_F(HashJoinTest, APartitionThatDoesNotFitIsPartitionedAgain) {
  const Table l = MakeTable(true, 30000, 2000, 5, 0, 3000);
  const Table r = MakeTable(false, 20000, 2500, 6, 0, 3000);
  for (JoinKind kind : {JoinKind::kFull, JoinKind::kAnti}) {
    JoinOptions small;
    small.run.memory_budget = 256 << 10;
    small.max_partitions = 1;  // the one partition holds everything
    JoinResult result = Run(l, r, kind, small);
    EXPECT_EQ(result.strategy, "grace");
    ASSERT_FALSE(result.partition_stats.empty());
    EXPECT_TRUE(result.partition_stats[0].repartitioned);
    EXPECT_GT(result.partition_stats.size(), 2u);
    EXPECT_EQ(result.partition_stats[1].depth, 1);
    EXPECT_EQ(Rows(result.batches), Reference(l, r, kind));
  }
}

TEST_F(HashJoinTest, ASkewedPartitionIsSplitAndTheRowsStayTheSame) {
  // 60% of the larger side has one key; the smaller side, too big for the budget, has it a few
  // times. (A budget of 2 MiB: below, a partition's table with its 256 KiB arena block would not
  // fit half the join state.)
  const Table l = MakeTable(true, 40000, 4000, 7, 0.6, 3000);
  const Table r = MakeTable(false, 20000, 1000, 8, 0.0002, 3000);
  for (JoinKind kind : kAllKinds) {
    SCOPED_TRACE(JoinKindName(kind));
    JoinOptions options;
    options.run.memory_budget = 2 << 20;
    options.min_partitions = 8;
    options.skew_min_rows = 1000;
    JoinResult split = Run(l, r, kind, options);
    EXPECT_EQ(split.strategy, "grace");
    ASSERT_EQ(split.skewed_partitions.size(), 1u);
    int pieces = 0;
    for (const auto& p : split.partition_stats) pieces = std::max(pieces, p.pieces);
    EXPECT_GE(pieces, 2);
    options.skew_splitting = false;
    JoinResult whole = Run(l, r, kind, options);
    EXPECT_TRUE(whole.skewed_partitions.empty());
    const std::vector<std::string> rows = Rows(split.batches);
    EXPECT_EQ(rows, Rows(whole.batches));
    EXPECT_EQ(rows, Reference(l, r, kind));
  }
}

TEST_F(HashJoinTest, SpillFilesAreGoneAfterAFailingSinkAndAfterCancellation) {
  const Table l = MakeTable(true, 30000, 2000, 9, 0, 3000);
  const Table r = MakeTable(false, 20000, 2500, 10, 0, 3000);
  JoinOptions failing;
  failing.run.memory_budget = 256 << 10;
  failing.sink = [](const RecordBatch&) { throw IoError("disk full").With("file", "out.parquet"); };
  try {
    Run(l, r, JoinKind::kInner, failing);
    FAIL() << "the sink's error was not raised";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(SpillDirIsEmpty());

  CancellationSource source;
  JoinOptions cancelled;
  cancelled.run.memory_budget = 256 << 10;
  cancelled.run.cancel = source.token();
  int batches = 0;
  cancelled.sink = [&](const RecordBatch&) {
    if (++batches == 2) source.Cancel("interrupted");
  };
  try {
    Run(l, r, JoinKind::kLeft, cancelled);
    FAIL() << "the join was not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled) << e.what();
  }
  EXPECT_TRUE(SpillDirIsEmpty());
}

TEST_F(HashJoinTest, EmptySidesStillEmitWhatOuterAndAntiJoinsOwe) {
  const Table l = MakeTable(true, 500, 200, 11);
  const Table r = MakeTable(false, 400, 200, 12);
  const Table no_l = MakeTable(true, 0, 1, 13);
  const Table no_r = MakeTable(false, 0, 1, 14);
  for (JoinKind kind : kAllKinds) {
    SCOPED_TRACE(JoinKindName(kind));
    EXPECT_EQ(Rows(Run(l, no_r, kind, Plenty()).batches), Reference(l, no_r, kind));
    EXPECT_EQ(Rows(Run(no_l, r, kind, Plenty()).batches), Reference(no_l, r, kind));
  }
}

}  // namespace
}  // namespace sluice
