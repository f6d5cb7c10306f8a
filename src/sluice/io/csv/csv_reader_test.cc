#include "sluice/io/csv/csv_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_chunk_reader.h"
#include "sluice/io/csv/csv_schema.h"

namespace sluice::csv {
namespace {

class CsvReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-csv-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    fs::WriteWholeFile(*fs_, path, bytes);
    return path;
  }
  // Every cell rendered as text ("<null>" for nulls), row by row, over all batches.
  static std::vector<std::vector<std::string>> Cells(const std::vector<RecordBatch>& batches) {
    std::vector<std::vector<std::string>> rows;
    for (const RecordBatch& b : batches) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        std::vector<std::string> row;
        for (int c = 0; c < b.num_columns(); ++c) {
          const Array& a = b.column(c);
          if (!a.IsValid(r)) {
            row.push_back("<null>");
          } else if (a.type().id() == TypeId::kString) {
            row.emplace_back(a.BinaryValue(r));
          } else if (a.type().id() == TypeId::kInt64) {
            row.push_back(std::to_string(a.Value<int64_t>(r)));
          } else if (a.type().id() == TypeId::kInt32) {
            row.push_back(std::to_string(a.Value<int32_t>(r)));
          } else if (a.type().id() == TypeId::kFloat64) {
            row.push_back(std::to_string(a.Value<double>(r)));
          } else {
            row.push_back("?");
          }
        }
        rows.push_back(row);
      }
    }
    return rows;
  }
  std::filesystem::path dir_;
  std::shared_ptr<fs::FileSystem> fs_ = fs::LocalFileSystem();
};

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3));
  return out;
}

// Rows with quoted names holding commas, doubled quotes and newlines.
std::string GeneratedCsv(int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string text = "id,name,amount\n";
  for (int i = 0; i < rows; ++i) {
    std::string name = "n" + std::to_string(rng() % 1000);
    switch (rng() % 4) {
      case 0:
        name = "\"" + name + ", jr\"";
        break;
      case 1:
        name = "\"" + name + " \"\"q\"\"\"";
        break;
      case 2:
        name = "\"" + name + "\nsecond line\"";
        break;
      default:
        break;
    }
    text += std::to_string(i) + "," + name + "," + std::to_string(rng() % 100000) + "\n";
  }
  return text;
}

TEST_F(CsvReaderTest, InfersTypesAndReadsAcrossFilesWithOneHeader) {
  Write("a.csv", "id,email,amount\n1,a@x.org,1.5\n2,,2\n");
  Write("b.csv", "id,email,amount\n3,\"c@x.org\",-1\n");
  CsvReadOptions options;
  auto reader = CsvReader::Open(fs_, {(dir_ / "*.csv").string()}, options);
  EXPECT_EQ(reader->schema()->ToString(),
            Schema({Field{"id", DataType::Int64(), true}, Field{"email", DataType::String(), true},
                    Field{"amount", DataType::Float64(), true}})
                .ToString());
  auto rows = Cells(reader->ReadAll());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "<null>", "2.000000"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", "c@x.org", "-1.000000"}));
}

TEST_F(CsvReaderTest, SchemaOverridesAndBadValues) {
  Write("a.csv", "id,code\n1,007\n2,x\n3,9\n");
  CsvReadOptions options;
  options.column_types = ParseColumnTypes("id=int32,code=string");
  auto reader = CsvReader::Open(fs_, {(dir_ / "a.csv").string()}, options);
  auto rows = Cells(reader->ReadAll());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "007"}));
  options.column_types = ParseColumnTypes("code=int64");
  reader = CsvReader::Open(fs_, {(dir_ / "a.csv").string()}, options);
  try {
    reader->ReadAll();
    FAIL() << "expected InvalidData";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_EQ(e.ContextValue("line"), "3");
    EXPECT_EQ(e.ContextValue("column"), "2 (code)");
    EXPECT_NE(e.message().find("'x'"), std::string::npos) << e.what();
  }
  options.bad_rows = BadRowPolicy::kSkip;
  reader = CsvReader::Open(fs_, {(dir_ / "a.csv").string()}, options);
  rows = Cells(reader->ReadAll());
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{"1", "7"}, {"3", "9"}}));
  EXPECT_EQ(reader->bad_rows().count(), 1);
  ASSERT_EQ(reader->bad_rows().examples().size(), 1u);
  EXPECT_NE(reader->bad_rows().examples()[0].find("line 3"), std::string::npos);
  options.column_types = ParseColumnTypes("nope=int64");
  EXPECT_THROW(CsvReader::Open(fs_, {(dir_ / "a.csv").string()}, options), Error);
}

TEST_F(CsvReaderTest, WrongFieldCountNamesFileAndLine) {
  std::string path = Write("a.csv", "a,b\n1,2\n\"x\ny\",3\n4\n");
  auto reader = CsvReader::Open(fs_, {path}, {});
  try {
    reader->ReadAll();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("file"), path);
    EXPECT_EQ(e.ContextValue("line"), "5");
    EXPECT_EQ(e.message(), "expected 2 fields, found 1");
  }
}

TEST_F(CsvReaderTest, HeaderMismatchIsAnError) {
  Write("a.csv", "id,email\n1,x\n");
  Write("b.csv", "id,mail\n2,y\n");
  auto reader = CsvReader::Open(fs_, {(dir_ / "*.csv").string()}, {});
  EXPECT_THROW(reader->ReadAll(), Error);
}

TEST_F(CsvReaderTest, ChunkBoundaryInsideQuotedFieldGivesTheSameRows) {
  std::string text = GeneratedCsv(3000, 11);
  Write("g.csv", text);
  CsvReadOptions whole;
  whole.chunk_bytes = 64 << 20;
  whole.column_types = ParseColumnTypes("name=string");
  auto expected = Cells(CsvReader::Open(fs_, {(dir_ / "g.csv").string()}, whole)->ReadAll());
  ASSERT_EQ(expected.size(), 3000u);
  // A boundary that lands right after the opening quote of a field with a newline.
  size_t quoted_nl = text.find("\"n", text.find("\nsecond line\"") - 8);
  ASSERT_NE(quoted_nl, std::string::npos);
  for (size_t chunk : {size_t{64}, size_t{100}, size_t{4093}, quoted_nl + 1}) {
    CsvReadOptions options = whole;
    options.chunk_bytes = chunk;
    auto reader = CsvReader::Open(fs_, {(dir_ / "g.csv").string()}, options);
    auto chunks = reader->OpenFile(0);
    CsvChunk c;
    std::vector<RecordBatch> batches;
    int n = 0;
    while (chunks->Next(c)) {
      ++n;
      for (auto& b : reader->ParseChunk(c)) batches.push_back(std::move(b));
    }
    EXPECT_GT(n, 1);
    EXPECT_EQ(Cells(batches), expected) << "chunk size " << chunk;
  }
}

TEST_F(CsvReaderTest, GzipAndZstdFilesReadLikePlainOnes) {
  std::string text = GeneratedCsv(2000, 5);
  Write("p.csv", text);
  Write("g.csv.gz", Gzip(text.substr(0, 900)) + Gzip(text.substr(900)));  // two gzip members
  Write("z.csv.zst", Zstd(text));
  CsvReadOptions options;
  options.chunk_bytes = 1000;
  options.column_types = ParseColumnTypes("name=string");
  auto plain = Cells(CsvReader::Open(fs_, {(dir_ / "p.csv").string()}, options)->ReadAll());
  auto gz = Cells(CsvReader::Open(fs_, {(dir_ / "g.csv.gz").string()}, options)->ReadAll());
  auto zst = Cells(CsvReader::Open(fs_, {(dir_ / "z.csv.zst").string()}, options)->ReadAll());
  EXPECT_EQ(plain.size(), 2000u);
  EXPECT_EQ(gz, plain);
  EXPECT_EQ(zst, plain);
  Write("bad.csv.gz", Gzip(text).substr(0, 500));
  EXPECT_THROW(CsvReader::Open(fs_, {(dir_ / "bad.csv.gz").string()}, options)->ReadAll(), Error);
}

// A file that changes while it is read is an error naming it, never rows of two versions.
// Read with ranged reads, then as mapped views.
class CsvChangingFileTest : public CsvReaderTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CsvChangingFileTest, AFileThatGrowsOrShrinksWhileReadIsAnError) {
  const std::string text = GeneratedCsv(200, 7);
  auto read_all_after = [&](const std::string& name,
                            const std::function<void(const std::string&)>& change) {
    const std::string path = Write(name, text);
    CsvChunkReader chunks(*fs_, path, 0, CsvDialect{}, 256, /*map=*/GetParam());
    CsvChunk chunk;
    EXPECT_TRUE(chunks.Next(chunk));
    change(path);
    try {
      while (chunks.Next(chunk)) {
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidData) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      return std::string(e.what());
    }
    return std::string("read to the end");
  };
  EXPECT_NE(read_all_after("grows.csv",
                           [](const std::string& path) {
                             std::ofstream(path, std::ios::app) << "9999,appended,1\n";
                           })
                .find(fmt::format("changed while it was read: was {} bytes, now {}", text.size(),
                                  text.size() + 16)),
            std::string::npos);
  EXPECT_NE(read_all_after("shrinks.csv",
                           [&](const std::string& path) {
                             std::filesystem::resize_file(path, text.size() / 2);
                           })
                .find(fmt::format("changed while it was read: was {} bytes, now {}", text.size(),
                                  text.size() / 2)),
            std::string::npos);
  EXPECT_EQ(read_all_after("same.csv", [](const std::string&) {}), "read to the end");
}

// A truncation inside a mapped chunk's last page shows its rest as zeros, not SIGBUS: the rows
// that then look bad are reported as the file's change.
TEST_F(CsvReaderTest, AMappedChunkOfATruncatedFileSaysTheFileChangedNotThatARowIsBad) {
  std::string text = "a,b\n";
  for (int i = 0; i < 300; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  ASSERT_LT(text.size(), 4096u);  // one page
  const std::string path = Write("t.csv", text);
  CsvReadOptions options;
  options.map_files = true;
  auto reader = CsvReader::Open(fs_, {path}, options);
  auto chunks = reader->OpenFile(0);
  CsvChunk chunk;
  ASSERT_TRUE(chunks->Next(chunk));
  ASSERT_NE(chunk.view, nullptr);
  std::filesystem::resize_file(path, 1000);
  try {
    reader->ParseChunk(chunk);
    ADD_FAILURE() << "parsed the zeros of a truncated file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format(
                  "input {} changed while it was read: was {} bytes, now 1000", path, text.size())),
              std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(ReadAndMapped, CsvChangingFileTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Mapped" : "Read"; });

TEST_F(CsvReaderTest, BatchRowsBoundsBatches) {
  std::string text = "x\n";
  for (int i = 0; i < 1000; ++i) text += std::to_string(i) + "\n";
  Write("a.csv", text);
  CsvReadOptions options;
  options.batch_rows = 300;
  auto batches = CsvReader::Open(fs_, {(dir_ / "a.csv").string()}, options)->ReadAll();
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0].num_rows(), 300);
  EXPECT_EQ(batches[3].num_rows(), 100);
}

}  // namespace
}  // namespace sluice::csv
