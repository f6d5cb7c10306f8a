// Interop: every flat file in parquet-testing's data/ reads to the values DuckDB reads from it.
// DuckDB's result comes back through the Arrow C Data Interface; values are compared per row
// after normalising what the two type systems spell differently (DuckDB has no fixed-size binary,
// reads UUIDs as text, and keeps timestamps in microseconds).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "duckdb_query_test_support.h"
#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using parquet::ParquetFileReader;
using parquet::ParquetReadOptions;

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class ParquetDuckDbTest : public ::testing::Test {
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

// Files DuckDB cannot read at all, or reads differently on purpose, with the reason.
const std::map<std::string, std::string> kSkipped = {
    {"datapage_v1-corrupt-checksum.parquet", "refused by us: CRC mismatch (DuckDB ignores CRCs)"},
    {"rle-dict-uncompressed-corrupt-checksum.parquet",
     "refused by us: CRC mismatch (DuckDB ignores CRCs)"},
    {"int96_from_spark.parquet",
     "its last INT96 value is outside 64-bit microseconds: DuckDB wraps it around, we refuse it "
     "(file_reader_test.cc checks the other values)"},
};

TEST_F(ParquetDuckDbTest, EveryFlatFileMatchesDuckDb) {
  int compared = 0;
  std::map<std::string, std::string> duckdb_refused;
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    if (kSkipped.count(name) != 0) continue;
    SCOPED_TRACE(name);
    std::string path = entry.path().string();
    auto reader = ParquetFileReader::Open(path);
    ParquetReadOptions options;
    // DuckDB keeps timestamps in microseconds, which holds Spark's INT96 dates past 2262.
    options.column_options.int96_unit = TimeUnit::kMicro;
    std::string select;
    for (const parquet::ColumnDescriptor& column : reader->footer().schema.columns()) {
      if (column.nested) continue;
      options.columns.push_back(column.DottedPath());
      select += (select.empty() ? "" : ", ") + Quote(column.DottedPath());
    }
    if (options.columns.empty()) continue;
    std::vector<RecordBatch> batches = reader->ReadAll(options);
    if (batches.empty()) {
      std::shared_ptr<const Schema> schema = reader->ReadSchema(options);
      std::vector<Array> empty;
      for (const Field& field : schema->fields())
        empty.push_back(MakeBuilder(field.type)->Finish());
      batches.push_back(RecordBatch::Make(schema, std::move(empty), 0));
    }
    RecordBatch ours = Concat(batches);
    std::optional<RecordBatch> duck;
    try {
      duck = duckdb_->Query(fmt::format("SELECT {} FROM read_parquet('{}')", select, path));
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
      int mismatches = 0;
      for (int64_t r = 0; r < ours.num_rows(); ++r) {
        std::string x = testing::ComparableValue(a, r, b.type());
        std::string y = testing::ComparableValue(b, r, a.type());
        if (x != y && ++mismatches <= 3) {
          ADD_FAILURE() << ours.schema().field(c).ToString() << " vs duckdb "
                        << theirs.schema().field(c).ToString() << " row " << r << ": " << x
                        << " != " << y;
        }
      }
    }
    ++compared;
  }
  // What DuckDB cannot read (we can: file_reader_test.cc reads every flat file).
  const std::map<std::string, std::string> kDuckDbRefuses = {
      {"byte_stream_split_extended.gzip.parquet", "BYTE_STREAM_SPLIT encoding is only supported"},
      {"hadoop_lz4_compressed.parquet", "Unsupported compression codec \"LZ4\""},
      {"hadoop_lz4_compressed_larger.parquet", "Unsupported compression codec \"LZ4\""},
      {"non_hadoop_lz4_compressed.parquet", "Unsupported compression codec \"LZ4\""},
  };
  for (const auto& [name, message] : duckdb_refused) {
    auto known = kDuckDbRefuses.find(name);
    if (known == kDuckDbRefuses.end() || message.find(known->second) == std::string::npos) {
      ADD_FAILURE() << "DuckDB cannot read " << name << ": " << message;
    }
  }
  EXPECT_EQ(duckdb_refused.size(), kDuckDbRefuses.size());
  EXPECT_GT(compared, 40);
}

// Our batch and DuckDB's reading of it hold the same columns and values.
void ExpectSameRows(const RecordBatch& batch, const RecordBatch& theirs) {
  ASSERT_EQ(theirs.num_rows(), batch.num_rows());
  ASSERT_EQ(theirs.num_columns(), batch.num_columns());
  for (int c = 0; c < batch.num_columns(); ++c) {
    EXPECT_EQ(theirs.schema().field(c).name, batch.schema().field(c).name);
    int mismatches = 0;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      std::string x = testing::ComparableValue(batch.column(c), r, theirs.column(c).type());
      std::string y = testing::ComparableValue(theirs.column(c), r, batch.column(c).type());
      if (x != y && ++mismatches <= 3) {
        ADD_FAILURE() << batch.schema().field(c).ToString() << " vs duckdb "
                      << theirs.schema().field(c).ToString() << " row " << r << ": " << x
                      << " != " << y;
      }
    }
  }
}

// Files we write with every codec, page version and dictionary choice read back identically in
// DuckDB, and parquet_metadata() shows the codec, encodings and statistics we meant.
TEST_F(ParquetDuckDbTest, DuckDbReadsWhatWeWrite) {
  fs::path dir = fs::temp_directory_path() / ("sluice_parquet_duckdb_" + std::to_string(getpid()));
  fs::create_directories(dir);
  RecordBatch batch = MakeSampleBatch(5000);
  const std::pair<parquet::CompressionCodec, const char*> codecs[] = {
      {parquet::CompressionCodec::kSnappy, "SNAPPY"},
      {parquet::CompressionCodec::kZstd, "ZSTD"},
      {parquet::CompressionCodec::kGzip, "GZIP"},
      {parquet::CompressionCodec::kLz4Raw, "LZ4_RAW"},
      {parquet::CompressionCodec::kBrotli, "BROTLI"},
      {parquet::CompressionCodec::kUncompressed, "UNCOMPRESSED"}};
  for (const auto& [codec, codec_name] : codecs) {
    for (bool v2 : {false, true}) {
      for (bool dictionary : {true, false}) {
        SCOPED_TRACE(fmt::format("{} v2={} dictionary={}", codec_name, v2, dictionary));
        parquet::ParquetWriteOptions options;
        options.codec = codec;
        options.column.data_page_v2 = v2;
        options.column.dictionary = dictionary;
        options.column.page_size = 8192;
        options.row_group_rows = 2000;
        std::string path = (dir / "ours.parquet").string();
        parquet::WriteParquetFile(path, batch.shared_schema(),
                                  {batch.Slice(0, 1234), batch.Slice(1234, 3766)}, options);
        ExpectSameRows(batch,
                       duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path)));
        RecordBatch meta = duckdb_->Query(fmt::format(
            "SELECT count(DISTINCT row_group_id)::BIGINT, min(compression), "
            "bool_and(encodings LIKE '%RLE_DICTIONARY%'), "
            "bool_and(stats_min_value IS NOT NULL OR path_in_schema = 'blob') "
            "FROM parquet_metadata('{}') WHERE path_in_schema IN ('i32', 'name', 'blob')",
            path));
        EXPECT_EQ(meta.column(0).Value<int64_t>(0), 3);
        EXPECT_EQ(meta.column(1).BinaryValue(0), codec_name);
        EXPECT_EQ(meta.column(2).BoolValue(0), dictionary);
        EXPECT_TRUE(meta.column(3).BoolValue(0));
      }
    }
  }
  RecordBatch stats = duckdb_->Query(fmt::format(
      "SELECT stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('{}') "
      "WHERE path_in_schema = 'i32' AND row_group_id = 0",
      (dir / "ours.parquet").string()));
  RecordBatch expected = duckdb_->Query(fmt::format(
      "SELECT min(i32)::VARCHAR, max(i32)::VARCHAR, (count(*) - count(i32))::BIGINT FROM "
      "(SELECT i32 FROM read_parquet('{}') LIMIT 2000)",
      (dir / "ours.parquet").string()));
  EXPECT_EQ(stats.column(0).BinaryValue(0), expected.column(0).BinaryValue(0));
  EXPECT_EQ(stats.column(1).BinaryValue(0), expected.column(1).BinaryValue(0));
  EXPECT_EQ(stats.column(2).Value<int64_t>(0), expected.column(2).Value<int64_t>(0));
  fs::remove_all(dir);
}

// Files written with a page index (the column and offset indexes sit between the last row group
// and the footer) read back identically in DuckDB, whole and filtered, for both page versions and
// dictionary choices. DuckDB's parquet_metadata() has no page-index columns, so what the indexes
// hold is checked by our own reader (io/parquet/page_index_writer_test.cc).
TEST_F(ParquetDuckDbTest, DuckDbReadsFilesWithAPageIndex) {
  fs::path dir =
      fs::temp_directory_path() / ("sluice_parquet_duckdb_index_" + std::to_string(getpid()));
  fs::create_directories(dir);
  RecordBatch batch = MakeSampleBatch(5000);
  for (bool v2 : {false, true}) {
    for (bool dictionary : {true, false}) {
      SCOPED_TRACE(fmt::format("v2={} dictionary={}", v2, dictionary));
      parquet::ParquetWriteOptions options;
      options.page_index = true;
      options.column.data_page_v2 = v2;
      options.column.dictionary = dictionary;
      options.column.page_size = 2048;
      options.row_group_rows = 2000;
      std::string path = (dir / "indexed.parquet").string();
      parquet::WriteParquetFile(path, batch.shared_schema(), {batch}, options);
      parquet::ParquetFooter footer = parquet::ReadFooter(path);
      ASSERT_TRUE(footer.metadata.row_groups[0].columns[0].offset_index_offset.has_value());
      ExpectSameRows(batch, duckdb_->Query(fmt::format("SELECT * FROM read_parquet('{}')", path)));
      int64_t expected = 0;
      const Array& i32 = batch.column(3);
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        expected += i32.IsValid(r) && i32.Value<int32_t>(r) >= 50000 &&
                    i32.Value<int32_t>(r) < 90000 && batch.column(11).IsValid(r);
      }
      RecordBatch filtered = duckdb_->Query(
          fmt::format("SELECT count(*)::BIGINT FROM read_parquet('{}') WHERE i32 >= 50000 AND "
                      "i32 < 90000 AND name IS NOT NULL",
                      path));
      EXPECT_EQ(filtered.column(0).Value<int64_t>(0), expected);
      EXPECT_GT(expected, 0);
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice
