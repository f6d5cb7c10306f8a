// Interop: files we write with every codec, page version and encoding choice (dictionary,
// PLAIN, dictionary falling back to PLAIN), with page CRCs and a page index on v2, read back
// identically in Polars (nodejs-polars from npm). tests/polars_read_parquet.js reads them all in
// one node process and writes what Polars read as JSON text values; this test compares them with
// the batches we wrote, value by value, and checks the column types Polars inferred.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// A value as tests/polars_read_parquet.js writes it; nullopt for null.
std::optional<std::string> PolarsText(const Array& array, int64_t i) {
  if (array.IsNull(i)) return std::nullopt;
  const DataType& type = array.type();
  switch (type.id()) {
    case TypeId::kBool:
      return array.BoolValue(i) ? "true" : "false";
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double v = type.id() == TypeId::kFloat32 ? static_cast<double>(array.Value<float>(i))
                                               : array.Value<double>(i);
      if (std::isnan(v)) return "nan";
      return fmt::format("{:x}", std::bit_cast<uint64_t>(v));
    }
    case TypeId::kString:
      return std::string(array.BinaryValue(i));
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      return Hex(array.BinaryValue(i));
    case TypeId::kDate32:
      return std::to_string(array.Value<int32_t>(i));
    case TypeId::kTimestamp:
      return std::to_string(array.Value<int64_t>(i));
    default:
      return FormatValue(array, i);  // integers and decimals print alike
  }
}

// The Polars data type our writer's file should read as.
std::string ExpectedPolarsType(const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
      return "Bool";
    case TypeId::kInt8:
      return "Int8";
    case TypeId::kInt16:
      return "Int16";
    case TypeId::kInt32:
      return "Int32";
    case TypeId::kInt64:
      return "Int64";
    case TypeId::kUInt8:
      return "UInt8";
    case TypeId::kUInt16:
      return "UInt16";
    case TypeId::kUInt32:
      return "UInt32";
    case TypeId::kUInt64:
      return "UInt64";
    case TypeId::kFloat32:
      return "Float32";
    case TypeId::kFloat64:
      return "Float64";
    case TypeId::kString:
      return "String";
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      return "Binary";
    case TypeId::kDate32:
      return "Date";
    case TypeId::kTimestamp: {
      const char* unit = type.unit() == TimeUnit::kMilli   ? "ms"
                         : type.unit() == TimeUnit::kMicro ? "us"
                                                           : "ns";
      return fmt::format("Datetime({},{})", unit, type.timezone());
    }
    case TypeId::kDecimal128:
      return fmt::format("Decimal({},{})", type.precision(), type.scale());
    default:
      return type.ToString();
  }
}

// Extremes for every column of the sample schema: limits, zero, -0.0, infinities, NaN, empty and
// non-ASCII strings, all-ones bytes.
RecordBatch MakeExtremesBatch(const std::shared_ptr<const Schema>& schema) {
  constexpr int64_t kRows = 5;
  std::vector<Array> columns;
  for (const Field& field : schema->fields()) {
    std::unique_ptr<ArrayBuilder> builder = MakeBuilder(field.type, Allocator::Default());
    for (int64_t r = 0; r < kRows; ++r) {
      auto pick = [&](auto lowest, auto highest, auto zero) {
        return r == 0 ? lowest : r == 1 ? highest : zero;
      };
      auto append_int = [&]<typename T>(T*) {
        static_cast<FixedWidthBuilder<T>*>(builder.get())
            ->Append(pick(std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max(),
                          static_cast<T>(r == 2 ? 0 : 1)));
      };
      switch (field.type.id()) {
        case TypeId::kBool:
          static_cast<BoolBuilder*>(builder.get())->Append(r % 2 == 1);
          break;
        case TypeId::kInt8:
          append_int(static_cast<int8_t*>(nullptr));
          break;
        case TypeId::kInt16:
          append_int(static_cast<int16_t*>(nullptr));
          break;
        case TypeId::kInt32:
        case TypeId::kDate32:
          append_int(static_cast<int32_t*>(nullptr));
          break;
        case TypeId::kInt64:
          append_int(static_cast<int64_t*>(nullptr));
          break;
        case TypeId::kUInt8:
          append_int(static_cast<uint8_t*>(nullptr));
          break;
        case TypeId::kUInt16:
          append_int(static_cast<uint16_t*>(nullptr));
          break;
        case TypeId::kUInt32:
          append_int(static_cast<uint32_t*>(nullptr));
          break;
        case TypeId::kUInt64:
          append_int(static_cast<uint64_t*>(nullptr));
          break;
        case TypeId::kTimestamp:
          // Within what every unit can show as a date.
          static_cast<FixedWidthBuilder<int64_t>*>(builder.get())
              ->Append(pick(int64_t{-4102444800} * 1000, int64_t{4102444800} * 1000, int64_t{0}));
          break;
        case TypeId::kFloat32: {
          const float values[] = {
              -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::max(), -0.0f,
              std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()};
          static_cast<FixedWidthBuilder<float>*>(builder.get())->Append(values[r]);
          break;
        }
        case TypeId::kFloat64: {
          const double values[] = {
              std::numeric_limits<double>::lowest(), std::numeric_limits<double>::infinity(), -0.0,
              std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::denorm_min()};
          static_cast<FixedWidthBuilder<double>*>(builder.get())->Append(values[r]);
          break;
        }
        case TypeId::kString: {
          const char* values[] = {"", "grüße, 世界", "\"quoted\",\nnewline", "a", "zzzz"};
          static_cast<BinaryBuilder*>(builder.get())->Append(values[r]);
          break;
        }
        case TypeId::kBinary:
          static_cast<BinaryBuilder*>(builder.get())
              ->Append(r == 0 ? std::string() : std::string(static_cast<size_t>(r * 3), '\xff'));
          break;
        case TypeId::kFixedSizeBinary:
          static_cast<FixedSizeBinaryBuilder*>(builder.get())
              ->Append(std::string(static_cast<size_t>(field.type.byte_width()),
                                   r == 0 ? '\0' : '\xff'));
          break;
        case TypeId::kDecimal128: {
          // +-(10^20 - 1) / 10^3: the largest magnitude of decimal128(20, 3).
          __int128 max = 1;
          for (int i = 0; i < field.type.precision(); ++i) max *= 10;
          max -= 1;
          static_cast<FixedWidthBuilder<Decimal128>*>(builder.get())
              ->Append(Decimal128::FromInt128(pick(-max, max, static_cast<__int128>(r - 3))));
          break;
        }
        default:
          builder->AppendNull();
      }
    }
    columns.push_back(builder->Finish());
  }
  return RecordBatch::Make(schema, std::move(columns), kRows);
}

TEST(ParquetPolarsTest, PolarsReadsWhatWeWrite) {
  fs::path root = fs::path(SLUICE_SOURCE_DIR);
  SLUICE_REQUIRE_TEST_DATA(fs::exists(root / "node_modules" / "nodejs-polars"),
                           "nodejs-polars is missing: run scripts/deps.sh (npm ci)");
  fs::path dir = fs::temp_directory_path() / ("sluice_parquet_polars_" + std::to_string(getpid()));
  fs::create_directories(dir);
  RecordBatch sample = MakeSampleBatch(5000);
  RecordBatch extremes = MakeExtremesBatch(sample.shared_schema());
  std::vector<RecordBatch> batches = {sample.Slice(0, 1234), extremes, sample.Slice(1234, 3766)};

  struct Case {
    std::string name;
    parquet::ParquetWriteOptions options;
  };
  std::vector<Case> cases;
  const std::pair<parquet::CompressionCodec, const char*> codecs[] = {
      {parquet::CompressionCodec::kSnappy, "snappy"},
      {parquet::CompressionCodec::kZstd, "zstd"},
      {parquet::CompressionCodec::kGzip, "gzip"},
      {parquet::CompressionCodec::kLz4Raw, "lz4_raw"},
      {parquet::CompressionCodec::kBrotli, "brotli"},
      {parquet::CompressionCodec::kUncompressed, "uncompressed"}};
  for (const auto& [codec, codec_name] : codecs) {
    for (bool v2 : {false, true}) {
      // Dictionary, PLAIN, and a dictionary that outgrows its limit and falls back to PLAIN.
      for (const char* encoding : {"dictionary", "plain", "fallback"}) {
        Case c;
        c.name = fmt::format("{}-{}-{}", codec_name, v2 ? "v2" : "v1", encoding);
        c.options.codec = codec;
        c.options.column.data_page_v2 = v2;
        c.options.column.dictionary = std::string_view(encoding) != "plain";
        if (std::string_view(encoding) == "fallback") c.options.column.dictionary_size_limit = 64;
        c.options.column.page_size = 8192;
        c.options.column.page_crc = v2;
        c.options.page_index = v2;  // the index sits between the row groups and the footer
        c.options.row_group_rows = 2000;
        cases.push_back(std::move(c));
      }
    }
  }
  std::string command = fmt::format("cd '{}' && node tests/polars_read_parquet.js '{}'",
                                    root.string(), (dir / "polars.json").string());
  for (const Case& c : cases) {
    std::string path = (dir / (c.name + ".parquet")).string();
    parquet::WriteParquetFile(path, sample.shared_schema(), batches, c.options);
    command += " '" + path + "'";
  }
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  nlohmann::json read = nlohmann::json::parse(std::ifstream(dir / "polars.json"));
  ASSERT_EQ(read.size(), cases.size());

  int64_t compared = 0;
  for (size_t f = 0; f < cases.size(); ++f) {
    SCOPED_TRACE(cases[f].name);
    const nlohmann::json& file = read[f];
    const Schema& schema = sample.schema();
    ASSERT_EQ(file["columns"].size(), static_cast<size_t>(schema.num_fields()));
    ASSERT_EQ(file["rows"].get<int64_t>(), 5000 + extremes.num_rows());
    for (int c = 0; c < schema.num_fields(); ++c) {
      const nlohmann::json& column = file["columns"][static_cast<size_t>(c)];
      EXPECT_EQ(column["name"], schema.field(c).name);
      EXPECT_EQ(column["dtype"], "DataType(" + ExpectedPolarsType(schema.field(c).type) + ")");
      int mismatches = 0;
      int64_t row = 0;
      for (const RecordBatch& batch : batches) {
        for (int64_t r = 0; r < batch.num_rows(); ++r, ++row) {
          const nlohmann::json& theirs = column["values"][static_cast<size_t>(row)];
          std::optional<std::string> ours = PolarsText(batch.column(c), r);
          bool same =
              ours ? theirs.is_string() && theirs.get<std::string>() == *ours : theirs.is_null();
          if (!same && ++mismatches <= 3) {
            ADD_FAILURE() << schema.field(c).ToString() << " row " << row << ": ours "
                          << ours.value_or("null") << ", Polars " << theirs.dump();
          }
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, static_cast<int64_t>(cases.size()) * sample.num_columns() *
                          (5000 + extremes.num_rows()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice
