// ConcatenateParquetFiles: the row groups of several files, read back, are the files' rows in
// order, with their statistics and none of their page indexes; a file of another schema is
// refused by name and nothing is written.
#include "sluice/io/parquet/file_concat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice::parquet {
namespace {

namespace fs = std::filesystem;

class FileConcatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_file_concat_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const RecordBatch& batch) {
    ParquetWriteOptions options;
    options.row_group_rows = 700;
    options.page_index = true;  // offsets into this file, which the output must not keep
    const std::string path = (dir_ / name).string();
    WriteParquetFile(path, batch.shared_schema(), {batch}, options);
    return path;
  }

  fs::path dir_;
};

TEST_F(FileConcatTest, RowGroupsOfEveryFileReadBackInOrder) {
  const RecordBatch all = MakeSampleBatch(5000);
  const std::vector<std::string> parts = {Write("a.parquet", all.Slice(0, 1500)),
                                          Write("b.parquet", all.Slice(1500, 3000)),
                                          Write("c.parquet", all.Slice(4500, 500))};
  const std::string out = (dir_ / "out.parquet").string();
  const int64_t size = ConcatenateParquetFiles(parts, out);
  EXPECT_EQ(size, static_cast<int64_t>(fs::file_size(out)));

  auto reader = ParquetFileReader::Open(out);
  EXPECT_EQ(reader->num_row_groups(), 3 + 5 + 1);
  EXPECT_TRUE(Concat(reader->ReadAll()) == all);
  const ParquetFooter footer = ReadFooter(out);
  for (const RowGroup& group : footer.metadata.row_groups) {
    for (const ColumnChunk& chunk : group.columns) {
      EXPECT_FALSE(chunk.offset_index_offset.has_value());
      EXPECT_FALSE(chunk.column_index_offset.has_value());
      EXPECT_TRUE(chunk.meta_data->statistics.has_value());
    }
  }
}

TEST_F(FileConcatTest, AFileOfAnotherSchemaIsRefusedByName) {
  const RecordBatch all = MakeSampleBatch(100);
  const std::string a = Write("a.parquet", all);
  const RecordBatch fewer = RecordBatch::Make(
      Schema({all.schema().field(0), all.schema().field(1)}), {all.column(0), all.column(1)});
  const std::string b = Write("b.parquet", fewer);
  const std::string out = (dir_ / "out.parquet").string();
  try {
    ConcatenateParquetFiles({a, b}, out);
    FAIL() << "a file of another schema was concatenated";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b.parquet"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace sluice::parquet
