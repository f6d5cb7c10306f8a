// Interop: every parquet-testing file with nested columns (lists, maps, structs, in the standard
// and the legacy forms) reads to the values DuckDB reads from it; the bad-data files whose levels
// are broken fail naming the column. Values are compared per row as text rendered recursively,
// after normalising what the two type systems spell differently (as parquet_duckdb_test.cc does
// for flat files); a map renders as its list of {key, value} entries, so a reader that sees
// entries where the other sees a map still compares.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "duckdb_query_test_support.h"
#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using parquet::ParquetFileReader;
using parquet::ParquetReadOptions;

// A leaf value as ComparableValue spells it, quoted when it is text or bytes, so that a list of
// strings cannot read like a longer list.
std::string Leaf(const Array& array, int64_t i, const DataType& peer) {
  std::string text = testing::ComparableValue(array, i, peer);
  const DataType& type = array.type();
  if (type.layout() == Layout::kVariableBinary || type.id() == TypeId::kFixedSizeBinary) {
    return "'" + text + "'";
  }
  return text;
}

// The peer's child type k, or `own` when the peer has no such child.
const DataType& PeerChild(const DataType& peer, int k, const DataType& own) {
  if (!peer.is_nested()) return own;
  if (peer.is_list_like() && peer.id() != TypeId::kMap && own.id() == TypeId::kStruct &&
      peer.value_type().id() == TypeId::kStruct) {
    return peer.value_type();
  }
  return k < peer.num_fields() ? peer.field(k).type : own;
}

std::string Render(const Array& array, int64_t i, const DataType& peer) {
  if (array.IsNull(i)) return "null";
  const DataType& type = array.type();
  if (!type.is_nested()) return Leaf(array, i, peer);
  std::string out;
  if (type.id() == TypeId::kStruct) {
    out = "{";
    for (int k = 0; k < array.num_children(); ++k) {
      const Array& child = array.child(k);
      out += (k > 0 ? ", " : "") + type.field(k).name + ": " +
             Render(child, array.offset() + i, PeerChild(peer, k, child.type()));
    }
    return out + "}";
  }
  const Array& values = array.child(0);
  const DataType& peer_values = peer.is_list_like() ? peer.value_type() : values.type();
  out = "[";
  for (int64_t r = array.ValueBegin(i); r < array.ValueEnd(i); ++r) {
    if (r > array.ValueBegin(i)) out += ", ";
    if (type.id() == TypeId::kMap) {
      int64_t row = values.offset() + r;
      const DataType& key = PeerChild(peer_values, 0, values.child(0).type());
      const DataType& value = PeerChild(peer_values, 1, values.child(1).type());
      out += "{key: " + Render(values.child(0), row, key) +
             ", value: " + Render(values.child(1), row, value) + "}";
    } else {
      out += Render(values, r, peer_values);
    }
  }
  return out + "]";
}

bool HasNestedColumn(const ParquetFileReader& reader) {
  for (const parquet::ColumnDescriptor& column : reader.footer().schema.columns()) {
    if (column.nested) return true;
  }
  return false;
}

RecordBatch ReadWhole(ParquetFileReader& reader, const ParquetReadOptions& options) {
  std::vector<RecordBatch> batches = reader.ReadAll(options);
  if (!batches.empty()) return Concat(batches);
  std::shared_ptr<const Schema> schema = reader.ReadSchema(options);
  std::vector<Array> empty;
  for (const Field& field : schema->fields()) empty.push_back(MakeBuilder(field.type)->Finish());
  return RecordBatch::Make(schema, std::move(empty), 0);
}

class ParquetNestedDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(SLUICE_PARQUET_TESTING_DIR);
    SLUICE_REQUIRE_TEST_DATA(fs::exists(dir_ / "data"), "parquet-testing not found at " << dir_);
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr,
                             SLUICE_DUCKDB_LIBRARY << " is missing: run scripts/deps.sh (npm ci)");
  }
  fs::path dir_;
  std::unique_ptr<testing::DuckDbQuery> duckdb_;
};

TEST_F(ParquetNestedDuckDbTest, EveryNestedFileMatchesDuckDb) {
  int compared = 0;
  std::map<std::string, std::string> duckdb_refused;
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    std::string path = entry.path().string();
    auto reader = ParquetFileReader::Open(path);
    if (!HasNestedColumn(*reader)) continue;
    SCOPED_TRACE(name);
    if (name == "large_string_map.brotli.parquet") {
      // Its one page holds 1 GiB uncompressed: past the reader's page limit, refused as such.
      try {
        ReadWhole(*reader, {});
        ADD_FAILURE() << "read a 1 GiB page";
      } catch (const Error& error) {
        EXPECT_NE(std::string(error.message()).find("more than the limit"), std::string::npos)
            << error.what();
      }
      continue;
    }
    if (name == "map_no_value.parquet") {
      // DuckDB refuses a MAP of keys without values; we read it as the list of its keys, which
      // the file also holds as my_list.
      RecordBatch ours = ReadWhole(*reader, {});
      const Array& keys = ours.column("my_map_no_v");
      EXPECT_EQ(keys.type(), DataType::List(DataType::Int32(), false));
      for (int64_t r = 0; r < ours.num_rows(); ++r) {
        EXPECT_EQ(FormatValue(keys, r), FormatValue(ours.column("my_list"), r)) << "row " << r;
      }
      EXPECT_THROW(duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path)), Error);
      continue;
    }
    ParquetReadOptions options;
    options.column_options.int96_unit = TimeUnit::kMicro;
    // Small batches, so records that span pages and batches are assembled piece by piece.
    options.batch_rows = 7;
    RecordBatch ours = ReadWhole(*reader, options);
    std::optional<RecordBatch> duck;
    try {
      duck = duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path));
    } catch (const Error& error) {
      duckdb_refused[name] = error.message();
      continue;
    }
    const RecordBatch& theirs = *duck;
    ASSERT_EQ(ours.num_rows(), theirs.num_rows());
    ASSERT_EQ(ours.num_columns(), theirs.num_columns());
    for (int c = 0; c < ours.num_columns(); ++c) {
      const Array& a = ours.column(c);
      const Array& b = theirs.column(c);
      EXPECT_EQ(ours.schema().field(c).name, theirs.schema().field(c).name);
      int mismatches = 0;
      for (int64_t r = 0; r < ours.num_rows(); ++r) {
        std::string x = Render(a, r, b.type());
        std::string y = Render(b, r, a.type());
        if (x != y && ++mismatches <= 3) {
          ADD_FAILURE() << ours.schema().field(c).ToString() << " vs duckdb "
                        << theirs.schema().field(c).ToString() << " row " << r << ":\n  " << x
                        << "\n  " << y;
        }
      }
    }
    ++compared;
    std::cout << "  " << name << ": " << ours.num_rows() << " rows match\n";
  }
  for (const auto& [name, message] : duckdb_refused) {
    ADD_FAILURE() << "DuckDB cannot read " << name << ": " << message;
  }
  EXPECT_GE(compared, 13);
}

TEST_F(ParquetNestedDuckDbTest, BrokenLevelsFailNamingTheColumn) {
  for (const char* name : {"ARROW-GH-45185.parquet", "ARROW-RS-GH-6229-LEVELS.parquet"}) {
    SCOPED_TRACE(name);
    std::string path = (dir_ / "bad_data" / name).string();
    try {
      auto reader = ParquetFileReader::Open(path);
      ReadWhole(*reader, {});
      ADD_FAILURE() << "read without an error";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      EXPECT_FALSE(error.ContextValue("column").empty()) << error.what();
      EXPECT_EQ(error.ContextValue("file"), path) << error.what();
    }
  }
}

// DuckDB pads a null fixed-size array to its N level entries (the first ends the path at the
// null, the rest repeat the list at that same definition level); sluice reads such files as
// DuckDB does: at the top level, inside a struct and a list, and records split across batches.
TEST_F(ParquetNestedDuckDbTest, NullFixedSizeArraysReadAsDuckDbReadsThem) {
  fs::path dir = fs::temp_directory_path() / ("sluice_null_arrays_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "arrays.parquet").string();
  duckdb_->Query(fmt::format(
      "COPY (SELECT CASE WHEN i % 4 = 1 THEN NULL ELSE [i, NULL, 3] END::INTEGER[3] AS a, "
      "CASE WHEN i % 5 = 2 THEN NULL ELSE {{'b': CASE WHEN i % 3 = 0 THEN NULL ELSE "
      "['x' || i, NULL] END}} END::STRUCT(b VARCHAR[2]) AS s, "
      "[CASE WHEN i % 2 = 0 THEN NULL ELSE [i, i] END::BIGINT[2], [1, 2]] AS l "
      "FROM range(300) t(i)) TO '{}' (FORMAT parquet, ROW_GROUP_SIZE 100)",
      path));
  RecordBatch theirs = duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path));
  for (int64_t batch_rows : {3, 1000}) {
    SCOPED_TRACE(batch_rows);
    auto reader = ParquetFileReader::Open(path);
    ParquetReadOptions options;
    options.batch_rows = batch_rows;
    RecordBatch ours = ReadWhole(*reader, options);
    ASSERT_EQ(ours.num_rows(), theirs.num_rows());
    ASSERT_EQ(ours.num_columns(), theirs.num_columns());
    for (int c = 0; c < ours.num_columns(); ++c) {
      for (int64_t r = 0; r < ours.num_rows(); ++r) {
        ASSERT_EQ(Render(ours.column(c), r, theirs.column(c).type()),
                  Render(theirs.column(c), r, ours.column(c).type()))
            << ours.schema().field(c).name << " row " << r;
      }
    }
    EXPECT_EQ(ours.column("a").null_count(), 75);
  }
  fs::remove_all(dir);
}

// Nested shapes DuckDB writes: lists of structs, maps, lists of lists, nulls at every level,
// empty lists, structs holding lists.
constexpr const char* kDuckDbNested = R"sql(
SELECT i AS id,
  CASE WHEN i % 7 = 3 THEN NULL WHEN i % 5 = 0 THEN [] ELSE
    [{'x': i, 'tags': CASE WHEN i % 3 = 1 THEN NULL ELSE ['a' || i, NULL, 'b'] END},
     CASE WHEN i % 4 = 1 THEN NULL ELSE {'x': NULL, 'tags': []} END] END AS points,
  CASE WHEN i % 6 = 2 THEN NULL ELSE
    MAP {'k' || (i % 3): i, 'z': CASE WHEN i % 2 = 0 THEN NULL ELSE -i END} END AS attrs,
  CASE WHEN i % 9 = 4 THEN NULL ELSE
    [[i, NULL], [], NULL, range(i % 4)::INTEGER[]] END AS grid,
  CASE WHEN i % 8 = 5 THEN NULL ELSE
    {'name': 'n' || i, 'scores': [i * 1.5, NULL], 'inner': {'d': DATE '2024-01-01' + i::INTEGER}} END
    AS info,
  CASE WHEN i % 10 = 7 THEN NULL ELSE [i::BIGINT] END AS single
FROM range(3000) t(i)
)sql";

const std::pair<parquet::CompressionCodec, const char*> kCodecs[] = {
    {parquet::CompressionCodec::kSnappy, "SNAPPY"},
    {parquet::CompressionCodec::kZstd, "ZSTD"},
    {parquet::CompressionCodec::kGzip, "GZIP"},
    {parquet::CompressionCodec::kLz4Raw, "LZ4_RAW"},
    {parquet::CompressionCodec::kBrotli, "BROTLI"},
    {parquet::CompressionCodec::kUncompressed, "UNCOMPRESSED"}};

// DuckDB writes the nested shapes; sluice reads them and writes them again with every codec,
// page version and dictionary choice; DuckDB reads sluice's file back equal to its own (EXCEPT
// ALL both ways), and sluice reads its own file back equal to what it read first.
TEST_F(ParquetNestedDuckDbTest, DuckDbReadsBackWhatWeWrite) {
  fs::path dir = fs::temp_directory_path() / ("sluice_nested_duckdb_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string theirs = (dir / "theirs.parquet").string();
  duckdb_->Query(fmt::format("COPY ({}) TO '{}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)",
                             kDuckDbNested, theirs));
  auto reader = ParquetFileReader::Open(theirs);
  ParquetReadOptions read;
  read.batch_rows = 777;
  RecordBatch read_back = ReadWhole(*reader, read);
  ASSERT_EQ(read_back.num_rows(), 3000);
  std::string ours = (dir / "ours.parquet").string();
  for (const auto& [codec, codec_name] : kCodecs) {
    for (bool v2 : {false, true}) {
      for (bool dictionary : {true, false}) {
        SCOPED_TRACE(fmt::format("{} v2={} dictionary={}", codec_name, v2, dictionary));
        parquet::ParquetWriteOptions options;
        options.codec = codec;
        options.column.data_page_v2 = v2;
        options.column.dictionary = dictionary;
        options.column.page_size = 2048;
        options.row_group_rows = 1100;
        options.page_index = v2;
        parquet::WriteParquetFile(ours, read_back.shared_schema(),
                                  {read_back.Slice(0, 1234), read_back.Slice(1234, 1766)}, options);
        testing::MultisetDifference diff =
            testing::CompareMultisets(*duckdb_, fmt::format("SELECT * FROM '{}'", ours),
                                      fmt::format("SELECT * FROM '{}'", theirs));
        EXPECT_EQ(diff.only_ours, 0);
        EXPECT_EQ(diff.only_theirs, 0);
        auto again = ParquetFileReader::Open(ours);
        EXPECT_EQ(ReadWhole(*again, read), read_back);
      }
    }
  }
  fs::remove_all(dir);
}

// sluice's own nested batch (large and fixed-size lists among them) written and read by DuckDB:
// the same values row by row; its nested leaves carry statistics DuckDB reads.
TEST_F(ParquetNestedDuckDbTest, DuckDbReadsOurNestedSample) {
  fs::path dir = fs::temp_directory_path() / ("sluice_nested_sample_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "ours.parquet").string();
  RecordBatch batch = MakeNestedSampleBatch(2500);
  parquet::ParquetWriteOptions options;
  options.column.page_size = 1024;
  options.row_group_rows = 1000;
  parquet::WriteParquetFile(path, batch.shared_schema(), {batch}, options);
  RecordBatch theirs = duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path));
  ASSERT_EQ(theirs.num_rows(), batch.num_rows());
  ASSERT_EQ(theirs.num_columns(), batch.num_columns());
  for (int c = 0; c < batch.num_columns(); ++c) {
    int mismatches = 0;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      std::string x = Render(batch.column(c), r, theirs.column(c).type());
      std::string y = Render(theirs.column(c), r, batch.column(c).type());
      if (x != y && ++mismatches <= 3) {
        ADD_FAILURE() << batch.schema().field(c).ToString() << " row " << r << ":\n  " << x
                      << "\n  " << y;
      }
    }
  }
  // Statistics of nested leaves: the points' x values, over the first row group.
  RecordBatch stats = duckdb_->Query(
      fmt::format("SELECT stats_min_value, stats_max_value FROM parquet_metadata('{}') "
                  "WHERE path_in_schema = 'points, list, element, x' "
                  "AND row_group_id = 0",
                  path));
  RecordBatch expected = duckdb_->Query(fmt::format(
      "SELECT min(p.x)::VARCHAR, max(p.x)::VARCHAR FROM (SELECT unnest(points) AS p FROM "
      "(SELECT points FROM read_parquet('{}') LIMIT 1000))",
      path));
  ASSERT_EQ(stats.num_rows(), 1);
  EXPECT_EQ(stats.column(0).BinaryValue(0), expected.column(0).BinaryValue(0));
  EXPECT_EQ(stats.column(1).BinaryValue(0), expected.column(1).BinaryValue(0));
  // And sluice reads its own file back to the batch (a large list reads back as a list).
  auto reader = ParquetFileReader::Open(path);
  RecordBatch back = ReadWhole(*reader, {});
  for (int c = 0; c < batch.num_columns(); ++c) {
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      ASSERT_EQ(FormatValue(back.column(c), r), FormatValue(batch.column(c), r))
          << batch.schema().field(c).name << " row " << r;
    }
  }
  // A row selection reads only the selected rows of nested columns, in small batches.
  ParquetReadOptions selected;
  selected.batch_rows = 3;
  selected.row_selection[0] = {{5, 10}, {700, 705}, {999, 1000}};
  selected.row_selection[2] = {{0, 2}};
  selected.columns = {"points", "attrs"};
  RecordBatch some = ReadWhole(*reader, selected);
  std::vector<int64_t> rows = {5, 6, 7, 8, 9, 700, 701, 702, 703, 704, 999};
  for (int64_t r = 1000; r < 2000; ++r) rows.push_back(r);
  rows.push_back(2000);
  rows.push_back(2001);
  ASSERT_EQ(some.num_rows(), static_cast<int64_t>(rows.size()));
  for (size_t k = 0; k < rows.size(); ++k) {
    ASSERT_EQ(FormatValue(some.column(0), static_cast<int64_t>(k)),
              FormatValue(batch.column("points"), rows[k]))
        << "row " << rows[k];
    ASSERT_EQ(FormatValue(some.column(1), static_cast<int64_t>(k)),
              FormatValue(batch.column("attrs"), rows[k]))
        << "row " << rows[k];
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice
