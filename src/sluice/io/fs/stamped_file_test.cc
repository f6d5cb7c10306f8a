// Inputs changed while they are read: a stamped file (file_stamp.h, stamped_file.h) turns each
// kind of change into an error naming the file, and a truncation under a mapped view ends the
// process with the file named (mapped_read_guard.h) instead of a crash.
#include "sluice/io/fs/stamped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"

namespace sluice::fs {
namespace {

class StampedFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(scratch_.Path(name), std::ios::binary) << text;
    return scratch_.Path(name);
  }
  // The error a read of `file` gives, "" when none.
  static std::string ReadError(ReadableFile& file) {
    char buffer[64];
    try {
      file.ReadAt(0, buffer);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidData) << e.what();
      return e.what();
    }
    return "";
  }

  ScratchDir scratch_{"sluice-stamped-file"};
  std::shared_ptr<FileSystem> fs_ = LocalFileSystem();
};

TEST_F(StampedFileTest, ReadsAnUnchangedFile) {
  const std::string path = Write("a.csv", "k,v\n1,2\n");
  auto file = OpenInput(*fs_, path);
  EXPECT_EQ(ReadError(*file), "");
  EXPECT_NO_THROW(static_cast<StampedFile&>(*file).RequireUnchanged());
}

TEST_F(StampedFileTest, TruncatedSaysBothSizes) {
  const std::string path = Write("a.csv", std::string(100, 'x'));
  auto file = OpenInput(*fs_, path);
  std::filesystem::resize_file(path, 40);
  const std::string error = ReadError(*file);
  EXPECT_NE(error.find("input " + path + " changed while it was read: was 100 bytes, now 40"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("run the command again"), std::string::npos) << error;
}

TEST_F(StampedFileTest, GrownIsReadAsOpenedThenReported) {
  const std::string path = Write("a.csv", std::string(10, 'x'));
  auto file = OpenInput(*fs_, path);
  char buffer[64];
  EXPECT_EQ(file->ReadAt(0, buffer), 10u);
  std::ofstream(path, std::ios::app) << "more rows\n";
  EXPECT_NE(ReadError(*file).find("was 10 bytes, now 20"), std::string::npos);
  // Never the new bytes, even where the check is not reached.
  EXPECT_EQ(file->size(), 10);
}

TEST_F(StampedFileTest, ReplacedRemovedAndRewrittenInPlace) {
  const std::string path = Write("a.csv", "0123456789");
  auto replaced = OpenInput(*fs_, path);
  std::filesystem::rename(Write("b.csv", "abc"), path);
  EXPECT_NE(ReadError(*replaced).find("was 10 bytes, now replaced by another file of 3 bytes"),
            std::string::npos);

  auto removed = OpenInput(*fs_, path);
  std::filesystem::remove(path);
  EXPECT_NE(ReadError(*removed).find("was 3 bytes, now removed"), std::string::npos);

  Write("a.csv", "0123456789");
  auto rewritten = OpenInput(*fs_, path);
  {
    std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
    out.write("ABC", 3);
  }
  // A later modification time, as the write gets past the file system's clock tick.
  const struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 5, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  EXPECT_NE(ReadError(*rewritten).find("10 bytes, modified in place"), std::string::npos);
}

TEST_F(StampedFileTest, MapOfATruncatedFileIsRefused) {
  const std::string path = Write("a.csv", std::string(1 << 16, 'x'));
  auto file = OpenInput(*fs_, path);
  std::filesystem::resize_file(path, 100);
  EXPECT_THROW(file->Map(0, 1 << 16), Error);
}

using StampedFileDeathTest = StampedFileTest;

TEST_F(StampedFileDeathTest, TruncationUnderAMappedViewEndsTheProcessNamingTheFile) {
  const std::string path = Write("a.csv", std::string(1 << 16, 'x'));
  auto file = OpenInput(*fs_, path);
  auto view = file->Map(0, 1 << 16);
  ASSERT_NE(view, nullptr);
  EXPECT_EXIT(
      {
        std::filesystem::resize_file(path, 0);
        volatile char last = view->data()[view->size() - 1];
        (void)last;
      },
      ::testing::ExitedWithCode(1),
      "input " + path + " changed while it was read: was 65536 bytes, now truncated");
}

}  // namespace
}  // namespace sluice::fs
