// TableScan with a row filter: row groups skipped by their statistics (counted), every batch
// filtered, filter-only columns dropped, CSV batches filtered as they are parsed; and a Parquet
// input that changes between planning and reading fails naming it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/predicate_parser.h"
#include "sluice/ops/table_scan.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TableScanWhereTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_scan_where_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "t.parquet").string();
    // 10 row groups of 1,000 rows: id ascending, v = id % 7, s null in the first row group only.
    auto schema = std::make_shared<const Schema>(std::vector<Field>{
        {"id", DataType::Int64()}, {"v", DataType::Int32()}, {"s", DataType::String()}});
    parquet::ParquetWriteOptions options;
    options.row_group_rows = 1000;
    auto writer = parquet::ParquetWriter::Open(path_, schema, options);
    FixedWidthBuilder<int64_t> id;
    FixedWidthBuilder<int32_t> v;
    BinaryBuilder s;
    for (int64_t r = 0; r < 10000; ++r) {
      id.Append(r);
      v.Append(static_cast<int32_t>(r % 7));
      r < 1000 && r % 2 == 0 ? s.AppendNull() : s.Append("k" + std::to_string(r / 1000));
    }
    writer->Write(RecordBatch::Make(schema, {id.Finish(), v.Finish(), s.Finish()}));
    writer->Close();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static int64_t CountRows(const TableScan& scan) {
    int64_t rows = 0;
    for (const ScanUnit& u : scan.units()) {
      for (const RecordBatch& b : scan.Read(u)) rows += b.num_rows();
    }
    return rows;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(TableScanWhereTest, RowGroupsTheStatisticsRuleOutAreSkippedAndCounted) {
  auto scan = TableScan::Open({path_}, {}, "id >= 9500 OR id < 10");
  EXPECT_EQ(scan->units().size(), 2u);
  EXPECT_EQ(scan->num_rows(), 2000);
  EXPECT_EQ(CountRows(*scan), 510);
  const ScanFilterStats stats = scan->filter_stats();
  EXPECT_EQ(stats.row_groups, 10);
  EXPECT_EQ(stats.row_groups_skipped, 8);
  EXPECT_EQ(stats.rows_skipped, 8000);
  EXPECT_EQ(stats.rows_read, 2000);
  EXPECT_EQ(stats.rows_passed, 510);
  EXPECT_EQ(scan->where(), "id >= 9500 OR id < 10");
}

TEST_F(TableScanWhereTest, NullCountsAndStringRangesSkipToo) {
  EXPECT_EQ(TableScan::Open({path_}, {}, "s IS NULL")->units().size(), 1u);
  EXPECT_EQ(TableScan::Open({path_}, {}, "s = 'k3'")->units().size(), 1u);
  EXPECT_EQ(TableScan::Open({path_}, {}, "s LIKE 'k7%' OR s IN ('k1', 'k2')")->units().size(), 3u);
  EXPECT_EQ(TableScan::Open({path_}, {}, "v = 3")->units().size(), 10u);
  EXPECT_EQ(TableScan::Open({path_}, {}, "v > 6")->units().size(), 0u);
}

TEST_F(TableScanWhereTest, ColumnsOnlyTheFilterReadsAreDecodedUsedAndDropped) {
  auto scan = TableScan::Open({path_}, {"v"}, "id < 20 AND s IS NOT NULL");
  ASSERT_EQ(scan->schema()->num_fields(), 1);
  EXPECT_EQ(scan->schema()->field(0).name, "v");
  int64_t rows = 0;
  for (const ScanUnit& u : scan->units()) {
    scan->ReadPieces(u, [&](ScanPiece piece) {
      scan->Parse(piece, [&](RecordBatch b, int64_t position) {
        EXPECT_EQ(b.num_columns(), 1);
        EXPECT_EQ(position, rows);                    // positions count passing rows
        EXPECT_EQ(b.column(0).Value<int32_t>(0), 1);  // id 1 is the first with an s
        rows += b.num_rows();
      });
    });
  }
  EXPECT_EQ(rows, 10);
}

TEST_F(TableScanWhereTest, BadFiltersNameTheColumnAndTheExpression) {
  try {
    TableScan::Open({path_}, {"v"}, "v = 1 AND nope = 2");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(e.message().find("unknown column 'nope' at position 11"), std::string::npos);
    EXPECT_EQ(e.ContextValue("where"), "v = 1 AND nope = 2");
    EXPECT_EQ(e.ContextValue("columns"), "id, v, s");
  }
  try {
    TableScan::Open({path_}, {}, "s > 3");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("column 's' (string)"), std::string::npos) << e.what();
    EXPECT_EQ(e.ContextValue("where"), "s > 3");
  }
}

TEST_F(TableScanWhereTest, ThePageIndexSkipsRowGroupsWhoseColumnsNeverMatchInTheSameRows) {
  // One row group, pages of 64 values: a ascends with a gap between pages (0..511, 1512..1999),
  // b descends.
  const std::string path = (dir_ / "pages.parquet").string();
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"a", DataType::Int64()}, {"b", DataType::Int64()}});
  parquet::ParquetWriteOptions options;
  options.page_index = true;
  options.column.page_size = 512;
  options.column.dictionary = false;  // plain pages: 64 values each
  auto writer = parquet::ParquetWriter::Open(path, schema, options);
  FixedWidthBuilder<int64_t> a, b;
  for (int64_t r = 0; r < 1000; ++r) {
    a.Append(r < 512 ? r : r + 1000);
    b.Append(999 - r);
  }
  writer->Write(RecordBatch::Make(schema, {a.Finish(), b.Finish()}));
  writer->Close();
  // Each column may match somewhere, but not in the same rows (or, for a = 700, nowhere).
  for (const char* where : {"a < 100 AND b < 100", "a = 700", "(a < 50 OR a > 1990) AND b = 500"}) {
    auto scan = TableScan::Open({path}, {}, where);
    EXPECT_EQ(scan->units().size(), 0u) << where;
    EXPECT_EQ(scan->filter_stats().row_groups_skipped_by_pages, 1) << where;
  }
  auto scan = TableScan::Open({path}, {}, "a < 100 AND b > 950");
  ASSERT_EQ(scan->units().size(), 1u);
  EXPECT_EQ(CountRows(*scan), 49);
  EXPECT_EQ(scan->filter_stats().row_groups_skipped, 0);
}

TEST_F(TableScanWhereTest, RowGroupsReadSkipThePagesThePageIndexRulesOut) {
  // One row group of 20,000 rows in small pages: id ascending, n nullable, s a dictionary-encoded
  // nullable string, d a double with NaN; pages of different columns end at different rows.
  const std::string path = (dir_ / "middle.parquet").string();
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"id", DataType::Int64()},
                                                                  {"n", DataType::Int32()},
                                                                  {"s", DataType::String()},
                                                                  {"d", DataType::Float64()}});
  for (bool v2 : {false, true}) {
    parquet::ParquetWriteOptions options;
    options.page_index = true;
    options.column.page_size = 1024;
    options.column.data_page_v2 = v2;
    auto writer = parquet::ParquetWriter::Open(path, schema, options);
    FixedWidthBuilder<int64_t> id;
    FixedWidthBuilder<int32_t> n;
    BinaryBuilder s;
    FixedWidthBuilder<double> d;
    for (int64_t r = 0; r < 20000; ++r) {
      id.Append(r);
      r % 4 == 0 ? n.AppendNull() : n.Append(static_cast<int32_t>(r % 100));
      r % 6 == 0 ? s.AppendNull() : s.Append(r % 6 == 1 ? "" : "k" + std::to_string(r % 9));
      d.Append(r % 10 == 0 ? std::nan("") : static_cast<double>(r));
    }
    writer->Write(RecordBatch::Make(schema, {id.Finish(), n.Finish(), s.Finish(), d.Finish()}));
    writer->Close();
    for (const char* where : {"id >= 7000 AND id < 7400", "(id >= 100 AND id <= 110) OR id > 19990",
                              "id > 12345 AND id < 12800 AND (s = 'k3' OR n IS NULL)"}) {
      SCOPED_TRACE(::testing::Message() << where << " v2 " << v2);
      auto scan = TableScan::Open({path}, {"n", "s", "d"}, where);
      ASSERT_EQ(scan->units().size(), 1u);
      EXPECT_EQ(scan->num_rows(), 20000 - scan->filter_stats().page_rows_skipped);
      EXPECT_EQ(scan->units()[0].rows, scan->num_rows());
      std::vector<RecordBatch> got;
      for (const RecordBatch& b : scan->Read(scan->units()[0])) got.push_back(b);
      // The same filter over a whole read, through a scan of the same columns without one.
      auto full = TableScan::Open({path}, {"id", "n", "s", "d"});
      std::vector<RecordBatch> whole = full->Read(full->units()[0]);
      auto predicate = Predicate::Bind(ParsePredicate(where), *full->schema());
      std::vector<RecordBatch> expected;
      for (const RecordBatch& b : whole) {
        RecordBatch passed = predicate->Filter(b);
        std::vector<Array> kept(passed.columns().begin() + 1, passed.columns().end());
        expected.push_back(RecordBatch::Make(scan->schema(), std::move(kept), passed.num_rows()));
      }
      EXPECT_TRUE(Concat(got) == Concat(expected));
      const ScanFilterStats stats = scan->filter_stats();
      EXPECT_GT(stats.pages_skipped, 0);
      EXPECT_GT(stats.page_rows_skipped, 15000);
      // The reader hands over exactly the rows the page index left in.
      EXPECT_EQ(stats.rows_read, 20000 - stats.page_rows_skipped);
      EXPECT_LT(stats.rows_read, 5000);
      EXPECT_EQ(stats.rows_passed, Concat(expected).num_rows());
    }
  }
}

TEST_F(TableScanWhereTest, AParquetFileChangedAfterPlanningFailsNamingIt) {
  const int64_t bytes = static_cast<int64_t>(fs::file_size(path_));
  // Each change, on a scan planned over a fresh copy: what the read of a row group must say.
  const std::vector<std::pair<std::function<void(const std::string&)>, std::string>> changes = {
      {[](const std::string& p) { fs::resize_file(p, fs::file_size(p) / 2); },
       fmt::format("was {} bytes, now {}", bytes, bytes / 2)},
      {[](const std::string& p) { fs::remove(p); },
       fmt::format("was {} bytes, now removed", bytes)},
      {[&](const std::string& p) {
         fs::copy_file(path_, p + ".new");
         std::ofstream(p + ".new", std::ios::app) << "more";
         fs::rename(p + ".new", p);
       },
       fmt::format("was {} bytes, now replaced by another file of {} bytes", bytes, bytes + 4)},
  };
  for (const auto& [change, says] : changes) {
    const std::string copy = (dir_ / "copy.parquet").string();
    fs::copy_file(path_, copy, fs::copy_options::overwrite_existing);
    auto scan = TableScan::Open({copy});
    ASSERT_EQ(scan->units().size(), 10u);
    EXPECT_FALSE(scan->Read(scan->units()[0]).empty());
    change(copy);
    try {
      scan->Read(scan->units()[9]);
      ADD_FAILURE() << "read a changed file: " << says;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidData) << e.what();
      EXPECT_NE(std::string(e.what()).find("input " + copy + " changed while it was read: " + says),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(TableScanWhereTest, CsvBatchesAreFilteredAsTheyAreParsed) {
  const std::string csv = (dir_ / "t.csv").string();
  {
    std::ofstream out(csv);
    out << "id,name,x\n";
    for (int r = 0; r < 5000; ++r) {
      out << r << "," << (r % 3 == 0 ? "" : "n" + std::to_string(r % 10)) << "," << r * 0.5 << "\n";
    }
  }
  auto scan = TableScan::OpenCsv({csv}, {}, "x >= 100 AND name LIKE 'n1%'");
  // x >= 100 is r >= 200; name n1 is r % 10 == 1 (never a multiple of 3 apart from 1 in 3 of them)
  int64_t expected = 0;
  for (int r = 200; r < 5000; ++r) expected += r % 10 == 1 && r % 3 != 0;
  EXPECT_EQ(CountRows(*scan), expected);
  EXPECT_EQ(scan->filter_stats().rows_read, 5000);
  EXPECT_EQ(scan->filter_stats().rows_passed, expected);
}

}  // namespace
}  // namespace sluice
