#include "sluice/io/parquet/metadata.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/parquet_testing_internal.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

SchemaElement Leaf(std::string name, PhysicalType type, Repetition repetition) {
  SchemaElement e;
  e.name = std::move(name);
  e.type = type;
  e.repetition_type = repetition;
  return e;
}

// A FileMetaData with every field this layer knows set at least once.
FileMetaData FullMetadata() {
  FileMetaData m;
  m.version = 2;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 4;
  m.schema.push_back(root);
  SchemaElement ts = Leaf("ts", PhysicalType::kInt64, Repetition::kOptional);
  ts.logical_type = LogicalType{
      .kind = LogicalType::Kind::kTimestamp, .is_adjusted_to_utc = true, .unit = TimeUnit::kNanos};
  ts.field_id = 17;
  m.schema.push_back(ts);
  SchemaElement dec = Leaf("price", PhysicalType::kFixedLenByteArray, Repetition::kRequired);
  dec.type_length = 9;
  dec.converted_type = ConvertedType::kDecimal;
  dec.scale = 2;
  dec.precision = 20;
  dec.logical_type =
      LogicalType{.kind = LogicalType::Kind::kDecimal, .decimal_scale = 2, .decimal_precision = 20};
  m.schema.push_back(dec);
  SchemaElement u8 = Leaf("small", PhysicalType::kInt32, Repetition::kOptional);
  u8.logical_type =
      LogicalType{.kind = LogicalType::Kind::kInteger, .bit_width = 8, .is_signed = false};
  u8.converted_type = ConvertedType::kUint8;
  m.schema.push_back(u8);
  SchemaElement s = Leaf("name", PhysicalType::kByteArray, Repetition::kOptional);
  s.logical_type = LogicalType{.kind = LogicalType::Kind::kString};
  s.converted_type = ConvertedType::kUtf8;
  m.schema.push_back(s);
  m.num_rows = 1LL << 40;

  RowGroup rg;
  rg.total_byte_size = 123456789;
  rg.num_rows = 1LL << 40;
  rg.sorting_columns = {{0, true, false}, {3, false, true}};
  rg.file_offset = 4;
  rg.total_compressed_size = 99;
  rg.ordinal = 0;
  for (int c = 0; c < 4; ++c) {
    ColumnChunk chunk;
    chunk.file_offset = 4 + c * 100;
    ColumnMetaData meta;
    meta.type = *m.schema[c + 1].type;
    meta.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
    meta.path_in_schema = {m.schema[c + 1].name};
    meta.codec = CompressionCodec::kZstd;
    meta.num_values = 1000 + c;
    meta.total_uncompressed_size = 5000;
    meta.total_compressed_size = 100;
    meta.data_page_offset = 4 + c * 100;
    if (c == 1) {
      meta.dictionary_page_offset = 4 + c * 100;
      meta.index_page_offset = 7;
      meta.key_value_metadata = {{"k", "v"}, {"nokey", std::nullopt}};
      meta.bloom_filter_offset = 5000;
      meta.bloom_filter_length = 64;
      meta.size_statistics = SizeStatistics{.unencoded_byte_array_data_bytes = 12,
                                            .repetition_level_histogram = {},
                                            .definition_level_histogram = {1, 999}};
    }
    Statistics stats;
    stats.min_value = std::string("\x00\x01", 2);
    stats.max_value = "zz";
    stats.null_count = 3;
    stats.distinct_count = 10;
    stats.is_max_value_exact = true;
    stats.is_min_value_exact = false;
    stats.nan_count = 0;
    stats.min = "a";
    stats.max = "b";
    meta.statistics = stats;
    meta.encoding_stats = {{PageType::kDictionaryPage, Encoding::kPlain, 1},
                           {PageType::kDataPage, Encoding::kRleDictionary, 7}};
    chunk.meta_data = meta;
    if (c == 2) {
      chunk.offset_index_offset = 9000;
      chunk.offset_index_length = 30;
      chunk.column_index_offset = 9100;
      chunk.column_index_length = 40;
    }
    rg.columns.push_back(chunk);
  }
  m.row_groups = {rg, rg};
  m.key_value_metadata = {{"ARROW:schema", std::string(1000, '\xff')}};
  m.created_by = "sluice test";
  m.column_orders = {ColumnOrder::kTypeDefinedOrder, ColumnOrder::kIeee754TotalOrder,
                     ColumnOrder::kTypeDefinedOrder, ColumnOrder::kTypeDefinedOrder};
  return m;
}

TEST(MetadataTest, FullMetadataRoundTrips) {
  FileMetaData m = FullMetadata();
  std::vector<uint8_t> bytes;
  EncodeFileMetaData(m, &bytes);
  EXPECT_EQ(DecodeFileMetaData(bytes), m);
}

TEST(MetadataTest, RowGroupsAreFoundWithoutDecodingAndDecodeAlone) {
  FileMetaData m = FullMetadata();
  m.row_groups.push_back(m.row_groups.front());
  m.row_groups.back().num_rows = 12345;
  std::vector<uint8_t> bytes;
  EncodeFileMetaData(m, &bytes);
  const std::vector<std::pair<uint32_t, uint32_t>> ranges = FindRowGroups(bytes);
  ASSERT_EQ(ranges.size(), m.row_groups.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    const auto [begin, end] = ranges[i];
    EXPECT_EQ(DecodeRowGroup(std::span<const uint8_t>(bytes).subspan(begin, end - begin)),
              m.row_groups[i]);
  }
}

TEST(MetadataTest, EveryLogicalTypeRoundTrips) {
  using K = LogicalType::Kind;
  std::vector<LogicalType> types = {
      {.kind = K::kString},
      {.kind = K::kMap},
      {.kind = K::kList},
      {.kind = K::kEnum},
      {.kind = K::kDate},
      {.kind = K::kUnknown},
      {.kind = K::kJson},
      {.kind = K::kBson},
      {.kind = K::kUuid},
      {.kind = K::kFloat16},
      {.kind = K::kTime, .is_adjusted_to_utc = false, .unit = TimeUnit::kMicros},
      {.kind = K::kInteger, .bit_width = 64, .is_signed = true},
      {.kind = K::kVariant, .variant_specification_version = 1},
      {.kind = K::kGeometry, .crs = "OGC:CRS84"},
      {.kind = K::kGeography, .crs = "x", .edge_interpolation = 1},
      {.kind = K::kUnrecognized, .unrecognized_id = 99},
  };
  for (const LogicalType& type : types) {
    SCOPED_TRACE(LogicalTypeName(type));
    std::vector<uint8_t> bytes;
    ThriftCompactWriter w(&bytes);
    WriteLogicalType(type, w);
    ThriftCompactReader r(bytes);
    EXPECT_EQ(ReadLogicalType(r), type);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(MetadataTest, PageHeadersRoundTrip) {
  PageHeader v1;
  v1.type = PageType::kDataPage;
  v1.uncompressed_page_size = 1000;
  v1.compressed_page_size = 500;
  v1.crc = -123456;
  v1.data_page_header = DataPageHeader{100, Encoding::kRleDictionary, Encoding::kRle,
                                       Encoding::kBitPacked, Statistics{.null_count = 4}};
  PageHeader dict;
  dict.type = PageType::kDictionaryPage;
  dict.uncompressed_page_size = 10;
  dict.compressed_page_size = 10;
  dict.dictionary_page_header = DictionaryPageHeader{3, Encoding::kPlain, true};
  PageHeader v2;
  v2.type = PageType::kDataPageV2;
  v2.uncompressed_page_size = 100;
  v2.compressed_page_size = 90;
  v2.data_page_header_v2 =
      DataPageHeaderV2{10, 2, 10, Encoding::kDeltaBinaryPacked, 3, 0, false, std::nullopt};
  for (const PageHeader& h : {v1, dict, v2}) {
    std::vector<uint8_t> bytes;
    EncodePageHeader(h, &bytes);
    bytes.push_back(0xAB);  // page data follows the header
    size_t size = 0;
    EXPECT_EQ(DecodePageHeader(bytes, &size), h);
    EXPECT_EQ(size, bytes.size() - 1);
  }
}

TEST(MetadataTest, PageHeaderChecks) {
  auto expect_invalid = [](const PageHeader& h) {
    std::vector<uint8_t> bytes;
    EncodePageHeader(h, &bytes);
    size_t size;
    EXPECT_THROW(DecodePageHeader(bytes, &size), Error);
  };
  PageHeader negative_dict;
  negative_dict.type = PageType::kDictionaryPage;
  negative_dict.dictionary_page_header = DictionaryPageHeader{-1, Encoding::kPlain, {}};
  expect_invalid(negative_dict);
  PageHeader missing_part;
  missing_part.type = PageType::kDataPage;
  expect_invalid(missing_part);
  PageHeader levels_too_big;
  levels_too_big.type = PageType::kDataPageV2;
  levels_too_big.compressed_page_size = 10;
  levels_too_big.uncompressed_page_size = 10;
  levels_too_big.data_page_header_v2 = DataPageHeaderV2{1, 0, 1, Encoding::kPlain, 8, 8, {}, {}};
  expect_invalid(levels_too_big);
  PageHeader negative_size;
  negative_size.compressed_page_size = -5;
  negative_size.data_page_header = DataPageHeader{};
  expect_invalid(negative_size);
}

TEST(MetadataTest, PageIndexRoundTrips) {
  OffsetIndex offsets;
  offsets.page_locations = {{4, 100, 0}, {104, 200, 50}, {304, 7, 1000}};
  offsets.unencoded_byte_array_data_bytes = {1, 2, 3};
  std::vector<uint8_t> bytes;
  EncodeOffsetIndex(offsets, &bytes);
  EXPECT_EQ(DecodeOffsetIndex(bytes), offsets);

  ColumnIndex index;
  index.null_pages = {false, true, false};
  index.min_values = {"a", "", "c"};
  index.max_values = {"b", "", "d"};
  index.boundary_order = BoundaryOrder::kAscending;
  index.null_counts = {0, 10, 1};
  index.nan_counts = {0, 0, 0};
  index.definition_level_histograms = {1, 2, 3, 4, 5, 6};
  bytes.clear();
  EncodeColumnIndex(index, &bytes);
  EXPECT_EQ(DecodeColumnIndex(bytes), index);

  index.max_values.pop_back();
  bytes.clear();
  EncodeColumnIndex(index, &bytes);
  EXPECT_THROW(DecodeColumnIndex(bytes), Error);
}

TEST(MetadataTest, UnknownFieldsAndMistypedFieldsAreSkipped) {
  std::vector<uint8_t> bytes;
  ThriftCompactWriter w(&bytes);
  w.BeginStruct();
  w.WriteFieldI32(1, 3);  // key_value expects binary: skipped, so the key is missing
  w.WriteFieldBinary(2, "value");
  w.WriteFieldBinary(3, "unknown");
  w.EndStruct();
  ThriftCompactReader r(bytes);
  EXPECT_THROW(ReadKeyValue(r), Error);

  bytes.clear();
  ThriftCompactWriter w2(&bytes);
  w2.BeginStruct();
  w2.WriteFieldBinary(1, "key");
  w2.WriteFieldHeader(30, ThriftType::kList);
  w2.WriteListHeader(ThriftType::kI64, 2);
  w2.WriteI64(1);
  w2.WriteI64(2);
  w2.WriteFieldI64(2, 5);  // value expects binary: skipped
  w2.EndStruct();
  ThriftCompactReader r2(bytes);
  KeyValue kv = ReadKeyValue(r2);
  EXPECT_EQ(kv.key, "key");
  EXPECT_FALSE(kv.value.has_value());
}

TEST(MetadataTest, MissingRequiredFieldsAreInvalid) {
  std::vector<uint8_t> no_rows;
  ThriftCompactWriter w(&no_rows);
  w.BeginStruct();
  w.WriteFieldI32(1, 1);
  w.WriteFieldHeader(2, ThriftType::kList);
  w.WriteListHeader(ThriftType::kStruct, 0);
  w.WriteFieldHeader(4, ThriftType::kList);
  w.WriteListHeader(ThriftType::kStruct, 0);
  w.EndStruct();
  try {
    DecodeFileMetaData(no_rows);
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("num_rows"), std::string::npos) << error.what();
  }
}

// Wraps serialized metadata into a file: PAR1, a data area, metadata, length, magic.
std::vector<uint8_t> MakeFile(const std::vector<uint8_t>& metadata, size_t data_size = 1000,
                              const char* magic = "PAR1") {
  std::vector<uint8_t> file = {'P', 'A', 'R', '1'};
  file.resize(4 + data_size, 0);
  file.insert(file.end(), metadata.begin(), metadata.end());
  uint32_t length = static_cast<uint32_t>(metadata.size());
  uint8_t le[4];
  std::memcpy(le, &length, 4);
  file.insert(file.end(), le, le + 4);
  file.insert(file.end(), magic, magic + 4);
  return file;
}

template <typename F>
ErrorKind KindOf(F&& f) {
  try {
    f();
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::kInternal;
}

TEST(FooterTest, SyntheticFileReadsAndValidates) {
  FileMetaData m = FullMetadata();
  for (RowGroup& rg : m.row_groups) {
    for (ColumnChunk& chunk : rg.columns) chunk.meta_data->dictionary_page_offset.reset();
  }
  std::vector<uint8_t> bytes;
  EncodeFileMetaData(m, &bytes);
  std::vector<uint8_t> file = MakeFile(bytes);
  MemorySource source(file, "synthetic.parquet");
  ParquetFooter footer = ReadFooter(source);
  EXPECT_EQ(footer.metadata, m);
  EXPECT_EQ(footer.schema.num_columns(), 4);
  EXPECT_EQ(footer.metadata_offset, 1004);
  EXPECT_EQ(footer.reads, 1);
  EXPECT_EQ(footer.schema.FindColumn("name"), 3);
}

TEST(FooterTest, RefusesBrokenAndEncryptedFiles) {
  FileMetaData m = FullMetadata();
  std::vector<uint8_t> good;
  EncodeFileMetaData(m, &good);
  auto read = [](std::vector<uint8_t> file) {
    MemorySource source(file, "x.parquet");
    return ReadFooter(source);
  };
  EXPECT_EQ(KindOf([&] { read({'P', 'A', 'R', '1'}); }), ErrorKind::kInvalidData);
  EXPECT_EQ(KindOf([&] { read(MakeFile(good, 1000, "PARX")); }), ErrorKind::kInvalidData);
  EXPECT_EQ(KindOf([&] { read(MakeFile(good, 1000, "PARE")); }), ErrorKind::kNotSupported);
  // A length that passes the start of the file.
  std::vector<uint8_t> file = MakeFile(good);
  file[file.size() - 5] = 0x7f;
  EXPECT_EQ(KindOf([&] { read(file); }), ErrorKind::kInvalidData);
  // Column chunks past the data area.
  EXPECT_EQ(KindOf([&] { read(MakeFile(good, 100)); }), ErrorKind::kInvalidData);
  // A plaintext footer of an encrypted file.
  FileMetaData encrypted = m;
  encrypted.encryption_algorithm = EncryptionAlgorithm::kAesGcmV1;
  std::vector<uint8_t> bytes;
  EncodeFileMetaData(encrypted, &bytes);
  EXPECT_EQ(KindOf([&] { read(MakeFile(bytes)); }), ErrorKind::kNotSupported);
  // A row group with a column chunk too few.
  FileMetaData short_rg = m;
  short_rg.row_groups[1].columns.pop_back();
  bytes.clear();
  EncodeFileMetaData(short_rg, &bytes);
  EXPECT_EQ(KindOf([&] { read(MakeFile(bytes)); }), ErrorKind::kInvalidData);
  // A chunk whose type disagrees with the schema.
  FileMetaData mistyped = m;
  mistyped.row_groups[0].columns[0].meta_data->type = PhysicalType::kDouble;
  bytes.clear();
  EncodeFileMetaData(mistyped, &bytes);
  EXPECT_EQ(KindOf([&] { read(MakeFile(bytes)); }), ErrorKind::kInvalidData);
  // Child counts that do not add up.
  FileMetaData bad_tree = m;
  bad_tree.schema[0].num_children = 5;
  bytes.clear();
  EncodeFileMetaData(bad_tree, &bytes);
  EXPECT_EQ(KindOf([&] { read(MakeFile(bytes)); }), ErrorKind::kInvalidData);
  // Every truncation of the metadata is refused cleanly.
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> truncated(good.begin(), good.begin() + n);
    EXPECT_EQ(KindOf([&] { read(MakeFile(truncated)); }), ErrorKind::kInvalidData) << n;
  }
  // The footer size limit.
  FooterOptions small;
  small.max_metadata_size = 100;
  std::vector<uint8_t> big = MakeFile(good);
  MemorySource source(big, "big.parquet");
  EXPECT_EQ(KindOf([&] { ReadFooter(source, small); }), ErrorKind::kNotSupported);
}

// Decoding, re-encoding and decoding again the footer of every data file gives the same value.
TEST(FooterTest, RealFootersReencodeIdentically) {
  fs::path dir = testing::ParquetTestingDir() / "data";
  SLUICE_REQUIRE_TEST_DATA(fs::exists(dir), "parquet-testing not found at " << dir);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".parquet") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ParquetFooter footer = ReadFooter(entry.path().string());
    std::vector<uint8_t> bytes;
    EncodeFileMetaData(footer.metadata, &bytes);
    EXPECT_EQ(DecodeFileMetaData(bytes), footer.metadata);
  }
}

}  // namespace
}  // namespace sluice::parquet
