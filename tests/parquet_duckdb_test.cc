// Interop: every flat file in parquet-testing's data/ reads to the values DuckDB reads from it.
// DuckDB's result comes back through the Arrow C Data Interface; values are compared per row
// after normalising what the two type systems spell differently (DuckDB has no fixed-size binary,
// reads UUIDs as text, and keeps timestamps in microseconds).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "duckdb_query_test_support.h"
#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using parquet::ParquetFileReader;
using parquet::ParquetReadOptions;

int64_t UnitsPerSecond(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond:
      return 1;
    case TimeUnit::kMilli:
      return 1000;
    case TimeUnit::kMicro:
      return 1000 * 1000;
    case TimeUnit::kNano:
      return 1000 * 1000 * 1000;
  }
  return 1;
}

std::string Uuid(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", static_cast<uint8_t>(bytes[i]));
  }
  return out;
}

// One value as text both sides agree on. `peer` is the other side's type.
std::string Canonical(const Array& array, int64_t i, const DataType& peer) {
  if (array.IsNull(i)) return "null";
  const DataType& type = array.type();
  if (type.id() == TypeId::kTimestamp && peer.id() == TypeId::kTimestamp) {
    int64_t value = array.Value<int64_t>(i);
    int64_t own = UnitsPerSecond(type.unit());
    int64_t coarse = std::min(own, UnitsPerSecond(peer.unit()));
    int64_t step = own / coarse;
    int64_t scaled = value / step - (value % step < 0 ? 1 : 0);  // floor
    return std::to_string(scaled);
  }
  if (type.id() == TypeId::kFixedSizeBinary && type.byte_width() == 16 &&
      peer.id() == TypeId::kString) {
    return Uuid(array.BinaryValue(i));
  }
  if (type.layout() == Layout::kVariableBinary || type.id() == TypeId::kFixedSizeBinary) {
    return std::string(array.BinaryValue(i));
  }
  return FormatValue(array, i);
}

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class ParquetDuckDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(SLUICE_PARQUET_TESTING_DIR);
    if (!fs::exists(dir_ / "data")) GTEST_SKIP() << "parquet-testing not found at " << dir_;
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    if (duckdb_ == nullptr) GTEST_SKIP() << SLUICE_DUCKDB_LIBRARY << " is missing";
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
        std::string x = Canonical(a, r, b.type());
        std::string y = Canonical(b, r, a.type());
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

}  // namespace
}  // namespace sluice
