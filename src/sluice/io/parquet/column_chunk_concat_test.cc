// Column-chunk concatenation: row groups of files (flat or nested columns) written with every
// codec, page version and dictionary choice are concatenated into one row group, read back by our
// reader and compared with the inputs' rows; statistics equal those of the rows written at once.
#include "sluice/io/parquet/column_chunk_concat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>

#include "sluice/io/parquet/dictionary_merge.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/row_group_file_writer.h"
#include "sluice/io/parquet/statistics_merge.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"
#include "sluice/table/take.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class ColumnChunkConcatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_concat_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Rows of the sample batch picked by `pick(i)`, so files share values in different orders.
  RecordBatch Pick(int64_t rows, const std::function<int64_t(int64_t)>& pick) {
    std::vector<int64_t> idx(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) idx[static_cast<size_t>(i)] = pick(i);
    return Take(base_, idx);
  }

  std::string Write(const std::string& name, const RecordBatch& batch,
                    const ParquetWriteOptions& options) {
    std::string path = (dir_ / name).string();
    WriteParquetFile(path, batch.shared_schema(), {batch}, options);
    return path;
  }

  // Concatenates every row group of `files` into one row group of one output file.
  std::string ConcatAll(const std::vector<std::string>& files, const ChunkConcatOptions& options,
                        ChunkConcatCounters* counters) {
    std::vector<ParquetFooter> footers;
    std::vector<std::vector<uint8_t>> bytes;
    for (const std::string& f : files) {
      footers.push_back(ReadFooter(f));
      auto source = LocalFileSource::Open(f);
      bytes.emplace_back(static_cast<size_t>(source->Size()));
      source->ReadAt(0, bytes.back());
    }
    const ParquetSchema& schema = footers[0].schema;
    RowGroup out_rg;
    std::vector<uint8_t> out;
    CodecCache codecs;
    for (int c = 0; c < schema.num_columns(); ++c) {
      std::vector<ChunkInput> inputs;
      for (size_t f = 0; f < files.size(); ++f) {
        const FileMetaData& md = footers[f].metadata;
        for (size_t g = 0; g < md.row_groups.size(); ++g) {
          const ColumnMetaData& meta = *md.row_groups[g].columns[static_cast<size_t>(c)].meta_data;
          ColumnChunkRange range = ComputeColumnChunkRange(meta);
          inputs.push_back(
              {&meta,
               std::span<const uint8_t>(bytes[f]).subspan(static_cast<size_t>(range.start),
                                                          static_cast<size_t>(range.length)),
               range.start, &files[f], static_cast<int>(g)});
        }
      }
      out_rg.columns.push_back(ConcatColumnChunks(schema.columns()[static_cast<size_t>(c)], inputs,
                                                  options, codecs, static_cast<int64_t>(out.size()),
                                                  &out, counters));
    }
    for (const ParquetFooter& f : footers) {
      for (const RowGroup& rg : f.metadata.row_groups) out_rg.num_rows += rg.num_rows;
    }
    for (const ColumnChunk& c : out_rg.columns) {
      out_rg.total_byte_size += c.meta_data->total_uncompressed_size;
    }
    std::string path = (dir_ / "out.parquet").string();
    auto writer = RowGroupFileWriter::Open(path, footers[0].metadata.schema, 1);
    writer->WriteRowGroup(0, out, out_rg);
    writer->Close();
    return path;
  }

  void ExpectRows(const std::string& path, const std::vector<RecordBatch>& inputs) {
    auto reader = ParquetFileReader::Open(path);
    ASSERT_EQ(reader->num_row_groups(), 1);
    std::vector<RecordBatch> got = reader->ReadAll();
    RecordBatch actual = Concat(got);
    RecordBatch expected = Concat(inputs);
    ASSERT_EQ(actual.num_rows(), expected.num_rows());
    EXPECT_TRUE(actual == expected) << "got\n"
                                    << ToString(actual) << "expected\n"
                                    << ToString(expected);
  }

  // The concatenated chunks' statistics equal those the writer computes over the same rows.
  void ExpectStatistics(const std::string& path, const std::vector<RecordBatch>& inputs) {
    std::string whole = Write("whole.parquet", Concat(inputs), {});
    ParquetFooter a = ReadFooter(path), b = ReadFooter(whole);
    for (size_t c = 0; c < a.metadata.row_groups[0].columns.size(); ++c) {
      const auto& sa = a.metadata.row_groups[0].columns[c].meta_data->statistics;
      const auto& sb = b.metadata.row_groups[0].columns[c].meta_data->statistics;
      ASSERT_TRUE(sa.has_value()) << c;
      EXPECT_EQ(sa->null_count, sb->null_count) << c;
      EXPECT_EQ(sa->min_value, sb->min_value) << "column " << c;
      EXPECT_EQ(sa->max_value, sb->max_value) << "column " << c;
    }
  }

  // Every row of `files`, as our reader reads them.
  static std::vector<RecordBatch> ReadBack(const std::vector<std::string>& files) {
    std::vector<RecordBatch> batches;
    for (const std::string& f : files)
      batches.push_back(Concat(ParquetFileReader::Open(f)->ReadAll()));
    return batches;
  }

  void EveryCodecPageVersionAndDictionaryChoice(bool read_back);

  fs::path dir_;
  RecordBatch base_ = MakeSampleBatch(300);
};

struct Case {
  CompressionCodec in_codec;
  CompressionCodec out_codec;
  bool v2;
  bool dictionary;
  int64_t max_dictionary_bytes;
};

// Concatenates three files of `base_`'s rows under every codec, page version and dictionary
// choice; the output reads back as the inputs were written, or with `read_back` as the inputs
// read back (nested columns: large and fixed-size lists read back as lists).
void ColumnChunkConcatTest::EveryCodecPageVersionAndDictionaryChoice(bool read_back) {
  std::vector<Case> cases;
  for (auto in :
       {CompressionCodec::kSnappy, CompressionCodec::kZstd, CompressionCodec::kUncompressed}) {
    for (auto out : {CompressionCodec::kSnappy, CompressionCodec::kZstd}) {
      for (bool v2 : {false, true}) {
        for (bool dict : {true, false}) {
          for (int64_t limit : {int64_t{2} << 20, int64_t{64}})
            cases.push_back({in, out, v2, dict, limit});
        }
      }
    }
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << CompressionCodecName(c.in_codec) << "->" << CompressionCodecName(c.out_codec)
                 << " v2=" << c.v2 << " dict=" << c.dictionary
                 << " limit=" << c.max_dictionary_bytes);
    ParquetWriteOptions w;
    w.codec = c.in_codec;
    w.row_group_rows = 150;
    w.column.data_page_v2 = c.v2;
    w.column.dictionary = c.dictionary;
    w.column.page_size = 512;
    std::vector<RecordBatch> inputs = {
        Pick(400, [](int64_t i) { return i % 50; }),
        Pick(333, [](int64_t i) { return (333 - i) % 80; }),
        Pick(250, [](int64_t i) { return 100 + (i * 7) % 60; }),
    };
    // A file written without a dictionary mixes PLAIN pages into dictionary-encoded chunks.
    ParquetWriteOptions plain = w;
    plain.column.dictionary = false;
    std::vector<std::string> files = {Write("a.parquet", inputs[0], w),
                                      Write("b.parquet", inputs[1], plain),
                                      Write("c.parquet", inputs[2], w)};
    ChunkConcatCounters counters;
    ChunkConcatOptions options{.codec = c.out_codec,
                               .max_dictionary_bytes = c.max_dictionary_bytes};
    std::string out = ConcatAll(files, options, &counters);
    ExpectRows(out, read_back ? ReadBack(files) : inputs);
    ExpectStatistics(out, inputs);
    if (c.in_codec == c.out_codec) {
      EXPECT_GT(counters.pages_copied, 0);
    } else {
      EXPECT_GT(counters.pages_recompressed, 0);
    }
    if (c.dictionary && c.max_dictionary_bytes > 64) {
      EXPECT_GT(counters.pages_remapped, 0);
    } else if (c.dictionary) {
      EXPECT_GT(counters.pages_to_plain, 0);
    }
    if (HasFailure()) return;
  }
}

TEST_F(ColumnChunkConcatTest, EveryCodecPageVersionAndDictionaryChoice) {
  EveryCodecPageVersionAndDictionaryChoice(false);
}

// Nested leaves (lists, maps, structs, lists of lists; nulls at every level, empty lists) take the
// same paths: pages copied, recompressed, remapped to the merged dictionary, gathered to PLAIN.
TEST_F(ColumnChunkConcatTest, NestedLeavesEveryCodecPageVersionAndDictionaryChoice) {
  base_ = MakeNestedSampleBatch(300);
  EveryCodecPageVersionAndDictionaryChoice(true);
}

// Handed to a sink piece by piece, a chunk is the same bytes and metadata as one built in memory.
TEST_F(ColumnChunkConcatTest, StreamedChunksEqualBufferedOnes) {
  ParquetWriteOptions w;
  w.row_group_rows = 150;
  w.column.page_size = 512;
  ParquetWriteOptions zstd = w;
  zstd.codec = CompressionCodec::kZstd;
  zstd.column.dictionary = false;
  std::vector<std::string> files = {
      Write("a.parquet", Pick(400, [](int64_t i) { return i % 50; }), w),
      Write("b.parquet", Pick(333, [](int64_t i) { return (333 - i) % 80; }), zstd),
      Write("c.parquet", Pick(250, [](int64_t i) { return 100 + (i * 7) % 60; }), w)};
  std::vector<ParquetFooter> footers;
  std::vector<std::vector<uint8_t>> bytes;
  for (const std::string& f : files) {
    footers.push_back(ReadFooter(f));
    auto source = LocalFileSource::Open(f);
    bytes.emplace_back(static_cast<size_t>(source->Size()));
    source->ReadAt(0, bytes.back());
  }
  const ParquetSchema& schema = footers[0].schema;
  for (int64_t limit : {int64_t{2} << 20, int64_t{64}}) {  // remapped, then gathered to PLAIN
    ChunkConcatOptions options{.max_dictionary_bytes = limit};
    for (int c = 0; c < schema.num_columns(); ++c) {
      std::vector<ChunkInput> inputs;
      for (size_t f = 0; f < files.size(); ++f) {
        const FileMetaData& md = footers[f].metadata;
        for (size_t g = 0; g < md.row_groups.size(); ++g) {
          const ColumnMetaData& meta = *md.row_groups[g].columns[static_cast<size_t>(c)].meta_data;
          ColumnChunkRange range = ComputeColumnChunkRange(meta);
          inputs.push_back(
              {&meta,
               std::span<const uint8_t>(bytes[f]).subspan(static_cast<size_t>(range.start),
                                                          static_cast<size_t>(range.length)),
               range.start, &files[f], static_cast<int>(g)});
        }
      }
      const ColumnDescriptor& column = schema.columns()[static_cast<size_t>(c)];
      CodecCache codecs;
      std::vector<uint8_t> buffered;
      ChunkConcatCounters buffered_counters;
      ColumnChunk expected =
          ConcatColumnChunks(column, inputs, options, codecs, 4, &buffered, &buffered_counters);
      for (int64_t piece_bytes : {int64_t{1}, int64_t{300}, int64_t{1} << 20}) {
        SCOPED_TRACE(::testing::Message()
                     << "column " << c << " limit " << limit << " pieces " << piece_bytes);
        std::vector<uint8_t> streamed;
        std::vector<size_t> pieces;
        ChunkConcatCounters counters;
        ColumnChunk got = ConcatColumnChunks(
            column, inputs, options, codecs, 4,
            [&](std::span<const uint8_t> piece) {
              pieces.push_back(piece.size());
              streamed.insert(streamed.end(), piece.begin(), piece.end());
            },
            piece_bytes, &counters);
        EXPECT_EQ(got, expected);
        EXPECT_EQ(streamed, buffered);
        ASSERT_FALSE(pieces.empty());
        for (size_t i = 0; i + 1 < pieces.size(); ++i) {
          EXPECT_GE(static_cast<int64_t>(pieces[i]), piece_bytes);
        }
        if (piece_bytes > static_cast<int64_t>(buffered.size())) {
          EXPECT_EQ(pieces.size(), 1u);
        }
        EXPECT_EQ(counters.pages_copied, buffered_counters.pages_copied);
        EXPECT_EQ(counters.pages_remapped, buffered_counters.pages_remapped);
        EXPECT_EQ(counters.pages_to_plain, buffered_counters.pages_to_plain);
      }
    }
  }
}

TEST_F(ColumnChunkConcatTest, IdenticalDictionariesAreCopiedWithoutRemapping) {
  ParquetWriteOptions w;
  w.row_group_rows = 100;
  RecordBatch a = Pick(300, [](int64_t i) { return i % 20; });
  std::vector<std::string> files = {Write("a.parquet", a, w), Write("b.parquet", a, w)};
  ChunkConcatCounters counters;
  std::string out = ConcatAll(files, {}, &counters);
  ExpectRows(out, {a, a});
  EXPECT_EQ(counters.pages_remapped, 0);
  EXPECT_EQ(counters.pages_recompressed, 0);
  EXPECT_GT(counters.pages_copied, 0);
}

TEST_F(ColumnChunkConcatTest, CorruptPageNamesFileRowGroupAndColumn) {
  RecordBatch a = Pick(300, [](int64_t i) { return i % 20; });
  std::string path = Write("a.parquet", a, {});
  std::string other = Write("b.parquet", Pick(300, [](int64_t i) { return 40 + i % 30; }), {});
  // Damage the dictionary page of b's "name" column: the merge must decode it.
  ParquetFooter footer = ReadFooter(other);
  int col = footer.schema.FindColumn("name");
  const ColumnMetaData& meta =
      *footer.metadata.row_groups[0].columns[static_cast<size_t>(col)].meta_data;
  {
    std::FILE* f = std::fopen(other.c_str(), "r+b");
    std::fseek(f, static_cast<long>(*meta.dictionary_page_offset + 8), SEEK_SET);
    const char junk[16] = {'\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f',
                           '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f', '\x7f'};
    std::fwrite(junk, 1, sizeof(junk), f);
    std::fclose(f);
  }
  try {
    ConcatAll({path, other}, {}, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("b.parquet"), std::string::npos) << what;
    EXPECT_NE(what.find("column name"), std::string::npos) << what;
  }
}

TEST(DictionaryMergeTest, RemapsSharedValuesAndKeepsFirstOrder) {
  auto plain = [](std::vector<std::string> values) {
    std::vector<uint8_t> out;
    for (const std::string& v : values) {
      uint32_t n = static_cast<uint32_t>(v.size());
      out.insert(out.end(), reinterpret_cast<uint8_t*>(&n), reinterpret_cast<uint8_t*>(&n) + 4);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  PlainDictionary a(plain({"x", "y", "z"}), 3, PhysicalType::kByteArray, 0);
  PlainDictionary b(plain({"z", "w", "x"}), 3, PhysicalType::kByteArray, 0);
  DictionaryMerger merger;
  std::vector<uint32_t> ra = merger.Add(a), rb = merger.Add(b);
  EXPECT_TRUE(IsIdentityRemap(ra));
  EXPECT_EQ(rb, (std::vector<uint32_t>{2, 3, 0}));
  EXPECT_EQ(merger.size(), 4);
  EXPECT_EQ(merger.plain(), plain({"x", "y", "z", "w"}));
  EXPECT_THROW(PlainDictionary(plain({"x"}), 2, PhysicalType::kByteArray, 0), Error);
}

TEST(StatisticsMergeTest, SignedUnsignedAndAllNullChunks) {
  ColumnDescriptor col;
  col.physical_type = PhysicalType::kInt32;
  auto enc = [](int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  Statistics s1{.null_count = 1, .max_value = enc(5), .min_value = enc(-3)};
  Statistics s2{.null_count = 4};  // all null
  Statistics s3{.null_count = 0, .max_value = enc(9), .min_value = enc(2)};
  std::vector<std::optional<Statistics>> in = {s1, s2, s3};
  std::vector<int64_t> values = {10, 4, 10};
  std::optional<Statistics> m = MergeStatistics(col, in, values);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->null_count, 5);
  EXPECT_EQ(m->min_value, enc(-3));
  EXPECT_EQ(m->max_value, enc(9));
  // Unsigned: -3 is the largest.
  in[0] = Statistics{.null_count = 1, .max_value = enc(-3), .min_value = enc(7)};
  col.element.logical_type =
      LogicalType{.kind = LogicalType::Kind::kInteger, .bit_width = 32, .is_signed = false};
  m = MergeStatistics(col, in, values);
  EXPECT_EQ(m->min_value, enc(2));
  EXPECT_EQ(m->max_value, enc(-3));
  // A chunk with values but no bounds leaves the output without bounds.
  in[1] = Statistics{.null_count = 0};
  m = MergeStatistics(col, in, values);
  EXPECT_FALSE(m->min_value.has_value());
  EXPECT_EQ(m->null_count, 1);
}

}  // namespace
}  // namespace sluice::parquet
