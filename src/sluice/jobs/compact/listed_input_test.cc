#include "sluice/jobs/compact/listed_input.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

namespace fs = std::filesystem;

class ListedInputTest : public ::testing::Test {
 protected:
  // A small Parquet file as a compaction lists it.
  InputFile Write(const std::string& name, int64_t rows) {
    Int64Builder ids;
    for (int64_t i = 0; i < rows; ++i) ids.Append(i);
    auto schema =
        std::make_shared<const Schema>(std::vector<Field>{{"id", DataType::Int64(), false}});
    const std::string path = (scratch_.path() / name).string();
    parquet::WriteParquetFile(path, schema, {RecordBatch::Make(schema, {ids.Finish()})}, {});
    return {path, static_cast<int64_t>(fs::file_size(path)),
            std::make_shared<const parquet::ParquetFooter>(parquet::ReadFooter(path))};
  }

  // The InvalidData OpenListedInput gives for `file`, or "" when it opens.
  static std::string Fault(const InputFile& file) {
    try {
      OpenListedInput(file);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidData) << e.what();
      EXPECT_NE(std::string(e.what()).find(file.path), std::string::npos) << e.what();
      return e.what();
    }
  }

  ScratchDir scratch_{"sluice-listed-input"};
};

TEST_F(ListedInputTest, AnUnchangedInputOpens) {
  InputFile file = Write("a.parquet", 100);
  EXPECT_EQ(Fault(file), "");
}

TEST_F(ListedInputTest, AnInputThatGrewShrankOrWentAwayFailsNamingIt) {
  InputFile grown = Write("grown.parquet", 100);
  std::ofstream(grown.path, std::ios::app) << "more";
  EXPECT_NE(Fault(grown).find("not the " + std::to_string(grown.size)), std::string::npos);

  InputFile truncated = Write("truncated.parquet", 100);
  fs::resize_file(truncated.path, static_cast<uintmax_t>(truncated.size / 2));
  EXPECT_NE(Fault(truncated).find("bytes, not the"), std::string::npos);

  InputFile removed = Write("removed.parquet", 100);
  fs::remove(removed.path);
  EXPECT_NE(Fault(removed).find("was removed after it was listed"), std::string::npos);
}

TEST_F(ListedInputTest, AnInputReplacedByOneOfTheSameSizeButAnotherFooterFails) {
  InputFile file = Write("replaced.parquet", 100);
  // Another file of exactly this size would be rare to make; its footer length is what differs.
  std::fstream bytes(file.path, std::ios::in | std::ios::out | std::ios::binary);
  bytes.seekp(file.size - 8);
  const char other[4] = {1, 0, 0, 0};
  bytes.write(other, 4);
  bytes.close();
  EXPECT_NE(Fault(file).find("has a footer of 1 bytes"), std::string::npos);
}

}  // namespace
}  // namespace sluice::compact
