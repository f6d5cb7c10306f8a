// ParquetWriter: random schemas, nulls and extreme values round-trip through our reader with
// every codec, page version and dictionary choice; statistics follow each type's order; a failed
// or abandoned write leaves nothing at the target.
#include "sluice/io/parquet/file_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class FileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_parquet_writer_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

const std::vector<DataType>& RandomTypes() {
  static const std::vector<DataType> types = {
      DataType::Bool(),
      DataType::Int8(),
      DataType::Int16(),
      DataType::Int32(),
      DataType::Int64(),
      DataType::UInt8(),
      DataType::UInt16(),
      DataType::UInt32(),
      DataType::UInt64(),
      DataType::Float32(),
      DataType::Float64(),
      DataType::String(),
      DataType::Binary(),
      DataType::Date32(),
      DataType::FixedSizeBinary(3),
      DataType::Timestamp(sluice::TimeUnit::kMilli, "UTC"),
      DataType::Timestamp(sluice::TimeUnit::kMicro),
      DataType::Timestamp(sluice::TimeUnit::kNano, "UTC"),
      DataType::Decimal128(9, 2),    // INT32
      DataType::Decimal128(18, 4),   // INT64
      DataType::Decimal128(38, 10),  // FIXED_LEN_BYTE_ARRAY(16)
      DataType::Decimal128(25, 0),   // FIXED_LEN_BYTE_ARRAY(11)
  };
  return types;
}

__int128 Pow10(int digits) {
  __int128 p = 1;
  for (int i = 0; i < digits; ++i) p *= 10;
  return p;
}

// A random value of `type`, often an extreme one; `low_cardinality` draws from a few values.
void AppendRandom(ArrayBuilder* builder, const DataType& type, std::mt19937_64& rng,
                  bool low_cardinality) {
  uint64_t bits = low_cardinality ? rng() % 5 : rng();
  bool extreme = !low_cardinality && rng() % 8 == 0;
  auto fixed = [&](auto value) {
    using T = decltype(value);
    if (extreme) {
      T choices[] = {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T{0}};
      value = choices[rng() % 3];
    }
    static_cast<FixedWidthBuilder<T>*>(builder)->Append(value);
  };
  switch (type.id()) {
    case TypeId::kBool:
      static_cast<BoolBuilder*>(builder)->Append(bits & 1);
      break;
    case TypeId::kInt8:
      fixed(static_cast<int8_t>(bits));
      break;
    case TypeId::kInt16:
      fixed(static_cast<int16_t>(bits));
      break;
    case TypeId::kInt32:
    case TypeId::kDate32:
      fixed(static_cast<int32_t>(bits));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      fixed(static_cast<int64_t>(bits));
      break;
    case TypeId::kUInt8:
      fixed(static_cast<uint8_t>(bits));
      break;
    case TypeId::kUInt16:
      fixed(static_cast<uint16_t>(bits));
      break;
    case TypeId::kUInt32:
      fixed(static_cast<uint32_t>(bits));
      break;
    case TypeId::kUInt64:
      fixed(static_cast<uint64_t>(bits));
      break;
    case TypeId::kFloat32: {
      float specials[] = {std::nanf(""),
                          -0.0f,
                          0.0f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::denorm_min()};
      float v = extreme ? specials[rng() % 6] : static_cast<float>(static_cast<int64_t>(bits)) / 7;
      static_cast<Float32Builder*>(builder)->Append(v);
      break;
    }
    case TypeId::kFloat64: {
      double specials[] = {std::nan(""),
                           -0.0,
                           0.0,
                           std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::max()};
      double v =
          extreme ? specials[rng() % 6] : static_cast<double>(static_cast<int64_t>(bits)) / 3;
      static_cast<Float64Builder*>(builder)->Append(v);
      break;
    }
    case TypeId::kString:
    case TypeId::kBinary: {
      std::string value(bits % 12, 'a');
      for (char& c : value)
        c = static_cast<char>(type.id() == TypeId::kString ? 'a' + rng() % 26 : rng());
      if (low_cardinality) value = "v" + std::to_string(bits);
      static_cast<BinaryBuilder*>(builder)->Append(value);  // often empty
      break;
    }
    case TypeId::kFixedSizeBinary: {
      std::string value(3, '\0');
      for (char& c : value) c = static_cast<char>(low_cardinality ? bits : rng());
      static_cast<FixedSizeBinaryBuilder*>(builder)->Append(value);
      break;
    }
    case TypeId::kDecimal128: {
      __int128 limit = Pow10(type.precision()) - 1;
      __int128 v = (static_cast<__int128>(rng()) << 64 | rng()) % (limit + 1);
      if (extreme) v = limit;
      if (bits & 2) v = -v;
      static_cast<Decimal128Builder*>(builder)->Append(Decimal128::FromInt128(v));
      break;
    }
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      FAIL() << "random schemas are flat, got " << type.ToString();
  }
}

RecordBatch RandomBatch(const Schema& schema, int64_t rows, std::mt19937_64& rng,
                        const std::vector<int>& null_percent, const std::vector<bool>& low) {
  std::vector<Array> columns;
  for (int c = 0; c < schema.num_fields(); ++c) {
    const Field& field = schema.field(c);
    std::unique_ptr<ArrayBuilder> builder = MakeBuilder(field.type);
    for (int64_t r = 0; r < rows; ++r) {
      if (field.nullable && static_cast<int>(rng() % 100) < null_percent[c]) {
        builder->AppendNull();
      } else {
        AppendRandom(builder.get(), field.type, rng, low[c]);
      }
    }
    columns.push_back(builder->Finish());
  }
  return RecordBatch::Make(schema, std::move(columns));
}

// keep_dictionaries: read every column's dictionary-encoded pages as dictionary arrays, then
// decode them, so both paths must give the values written.
RecordBatch ReadBack(const std::string& path, int64_t batch_rows = 1000,
                     bool keep_dictionaries = false) {
  auto reader = ParquetFileReader::Open(path);
  ParquetReadOptions options;
  options.batch_rows = batch_rows;
  if (keep_dictionaries) {
    const std::shared_ptr<const Schema> schema = reader->ReadSchema();
    for (const Field& field : schema->fields()) {
      options.dictionary_columns.push_back(field.name);
    }
  }
  std::vector<RecordBatch> batches = reader->ReadAll(options);
  for (RecordBatch& batch : batches) batch = DecodeDictionaries(batch);
  if (batches.empty()) {
    std::shared_ptr<const Schema> schema = reader->ReadSchema();
    std::vector<Array> empty;
    for (const Field& field : schema->fields()) empty.push_back(MakeBuilder(field.type)->Finish());
    return RecordBatch::Make(schema, std::move(empty), 0);
  }
  return Concat(batches);
}

TEST_F(FileWriterTest, RandomSchemasRoundTrip) {
  std::mt19937_64 rng(20261122);
  const CompressionCodec codecs[] = {CompressionCodec::kSnappy, CompressionCodec::kZstd,
                                     CompressionCodec::kGzip,   CompressionCodec::kLz4Raw,
                                     CompressionCodec::kBrotli, CompressionCodec::kUncompressed};
  for (int round = 0; round < 36; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<Field> fields;
    std::vector<int> nulls;
    std::vector<bool> low;
    int num_fields = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < num_fields; ++f) {
      const DataType& type = RandomTypes()[rng() % RandomTypes().size()];
      fields.push_back({"c" + std::to_string(f), type, rng() % 3 != 0});
      int choices[] = {0, 5, 50, 100};
      nulls.push_back(choices[rng() % 4]);
      low.push_back(rng() % 2 == 0);
    }
    auto schema = std::make_shared<const Schema>(fields);
    ParquetWriteOptions options;
    options.codec = codecs[round % 6];
    options.column.data_page_v2 = (round / 6) % 2 == 1;
    options.column.dictionary = (round / 12) % 2 == 0;
    options.column.page_size = 1 + static_cast<int64_t>(rng() % 4000);
    options.column.dictionary_size_limit = rng() % 2 ? 64 : 1 << 20;
    options.column.page_crc = round % 4 == 0;
    options.row_group_rows = 1 + static_cast<int64_t>(rng() % 3000);
    std::vector<RecordBatch> batches;
    int num_batches = static_cast<int>(rng() % 4);
    for (int b = 0; b < num_batches; ++b) {
      batches.push_back(RandomBatch(*schema, static_cast<int64_t>(rng() % 2500), rng, nulls, low));
    }
    std::string path = Path("round.parquet");
    WriteParquetFile(path, schema, batches, options);
    RecordBatch back = ReadBack(path, 1 + static_cast<int64_t>(rng() % 5000), round % 3 != 0);
    if (batches.empty()) {
      EXPECT_EQ(back.num_rows(), 0);
      EXPECT_EQ(back.schema(), *schema);
      continue;
    }
    RecordBatch expected = Concat(batches);
    ASSERT_EQ(back.schema(), expected.schema());
    ASSERT_EQ(back.num_rows(), expected.num_rows());
    for (int c = 0; c < expected.num_columns(); ++c) {
      EXPECT_TRUE(ArrayEquals(back.column(c), expected.column(c)))
          << expected.schema().field(c).ToString() << "\nexpected " << expected.column(c)
          << "\ngot " << back.column(c);
    }
  }
}

TEST_F(FileWriterTest, RowGroupsPagesAndDictionaryFallback) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"id", DataType::Int64(), false}, {"s", DataType::String()}});
  Int64Builder ids;
  StringBuilder strings;
  for (int64_t i = 0; i < 10000; ++i) {
    ids.Append(i);
    strings.Append("value-" + std::to_string(i % 3));
  }
  RecordBatch batch = RecordBatch::Make(schema, {ids.Finish(), strings.Finish()});
  ParquetWriteOptions options;
  options.row_group_rows = 3000;
  options.column.page_size = 4096;
  options.column.dictionary_size_limit = 1000;  // ids overflow it, strings do not
  std::string path = Path("groups.parquet");
  WriteParquetFile(path, schema, {batch}, options);
  auto reader = ParquetFileReader::Open(path);
  const FileMetaData& meta = reader->footer().metadata;
  ASSERT_EQ(meta.row_groups.size(), 4u);
  EXPECT_EQ(meta.row_groups[3].num_rows, 1000);
  const ColumnMetaData& id = *meta.row_groups[0].columns[0].meta_data;
  const ColumnMetaData& s = *meta.row_groups[0].columns[1].meta_data;
  EXPECT_FALSE(id.dictionary_page_offset.has_value());
  ASSERT_TRUE(s.dictionary_page_offset.has_value());
  EXPECT_GT(id.encoding_stats.back().count, 1);  // several pages
  EXPECT_EQ(s.codec, CompressionCodec::kSnappy);
  EXPECT_TRUE(RecordBatchEquals(ReadBack(path), batch));
}

// A column whose dictionary overflowed skips the next tries (1, then 2, 4 ... chunks) and takes
// a dictionary again once its values narrow.
TEST_F(FileWriterTest, ADictionaryThatOverflowedIsRetriedLater) {
  auto schema =
      std::make_shared<const Schema>(std::vector<Field>{{"id", DataType::Int64(), false}});
  Int64Builder ids;
  for (int64_t i = 0; i < 12000; ++i) ids.Append(i < 2000 ? i : i % 3);
  RecordBatch batch = RecordBatch::Make(schema, {ids.Finish()});
  ParquetWriteOptions options;
  options.row_group_rows = 1000;
  options.column.dictionary_size_limit = 1000;  // row groups 0 and 1 overflow it
  std::string path = Path("retry.parquet");
  WriteParquetFile(path, schema, {batch}, options);
  auto reader = ParquetFileReader::Open(path);
  std::vector<bool> dictionary;
  for (const RowGroup& group : reader->footer().metadata.row_groups) {
    dictionary.push_back(group.columns[0].meta_data->dictionary_page_offset.has_value());
  }
  // 0 overflows (skip 1), 1 skipped, 2 narrow again: dictionary from then on.
  EXPECT_EQ(dictionary, (std::vector<bool>{false, false, true, true, true, true, true, true, true,
                                           true, true, true}));
  EXPECT_TRUE(RecordBatchEquals(ReadBack(path), batch));
}

TEST_F(FileWriterTest, StatisticsFollowEachTypesOrder) {
  auto schema =
      std::make_shared<const Schema>(std::vector<Field>{{"i", DataType::Int32()},
                                                        {"u", DataType::UInt32()},
                                                        {"d", DataType::Float64()},
                                                        {"s", DataType::String()},
                                                        {"dec", DataType::Decimal128(30, 0)}});
  Int32Builder i;
  UInt32Builder u;
  Float64Builder d;
  StringBuilder s;
  Decimal128Builder dec(DataType::Decimal128(30, 0));
  i.Append(-5), i.Append(7), i.AppendNull();
  u.Append(1), u.Append(0xffffffffu), u.Append(3);
  d.Append(std::nan("")), d.Append(0.0), d.Append(2.5);
  s.Append("b"), s.Append("\xc3\xa9"), s.Append("a");
  dec.Append(Decimal128::FromInt128(-300)), dec.Append(Decimal128::FromInt128(2)), dec.AppendNull();
  RecordBatch batch =
      RecordBatch::Make(schema, {i.Finish(), u.Finish(), d.Finish(), s.Finish(), dec.Finish()});
  std::string path = Path("stats.parquet");
  WriteParquetFile(path, schema, {batch});
  auto reader = ParquetFileReader::Open(path);
  const RowGroup& rg = reader->footer().metadata.row_groups[0];
  auto stats = [&](int c) { return *rg.columns[c].meta_data->statistics; };
  auto as_int32 = [](const std::string& b) {
    int32_t v;
    std::memcpy(&v, b.data(), 4);
    return v;
  };
  EXPECT_EQ(as_int32(*stats(0).min_value), -5);
  EXPECT_EQ(as_int32(*stats(0).max_value), 7);
  EXPECT_EQ(stats(0).null_count, 1);
  EXPECT_EQ(static_cast<uint32_t>(as_int32(*stats(1).min_value)), 1u);
  EXPECT_EQ(static_cast<uint32_t>(as_int32(*stats(1).max_value)), 0xffffffffu);
  double min, max;
  std::memcpy(&min, stats(2).min_value->data(), 8);
  std::memcpy(&max, stats(2).max_value->data(), 8);
  EXPECT_EQ(min, 0.0);
  EXPECT_TRUE(std::signbit(min));  // a zero minimum is -0.0
  EXPECT_EQ(max, 2.5);
  EXPECT_EQ(*stats(3).min_value, "a");
  EXPECT_EQ(*stats(3).max_value, "\xc3\xa9");                       // unsigned byte order
  EXPECT_EQ(static_cast<uint8_t>((*stats(4).min_value)[0]), 0xff);  // -300, signed order
  EXPECT_EQ(stats(4).null_count, 1);
}

TEST_F(FileWriterTest, FailedWritesLeaveNothingAtTheTarget) {
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"x", DataType::Int32(), false}});
  Int32Builder x;
  x.Append(1);
  RecordBatch batch = RecordBatch::Make(schema, {x.Finish()});
  std::string path = Path("atomic.parquet");
  {
    auto writer = ParquetWriter::Open(path, schema);
    writer->Write(batch);
    // Abandoned without Close.
  }
  EXPECT_FALSE(fs::exists(path));
  {
    auto writer = ParquetWriter::Open(path, schema);
    auto other = std::make_shared<const Schema>(std::vector<Field>{{"y", DataType::Int64()}});
    Int64Builder y;
    y.Append(1);
    EXPECT_THROW(writer->Write(RecordBatch::Make(other, {y.Finish()})), Error);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir_)) << "temporary files left behind";
  WriteParquetFile(path, schema, {batch});
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  EXPECT_TRUE(RecordBatchEquals(ReadBack(path), batch));
}

}  // namespace
}  // namespace sluice::parquet
