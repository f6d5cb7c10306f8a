#include "sluice/io/fs/file_system.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sluice/base/error.h"

namespace sluice::fs {
namespace {

class LocalFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-fs-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "sub");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  std::filesystem::path dir_;
  std::shared_ptr<FileSystem> fs_ = LocalFileSystem();
};

TEST_F(LocalFileSystemTest, WriteCommitsAtomicallyAndReadsRanges) {
  std::string text = "hello, ranged world";
  {
    auto file = fs_->OpenForWrite(Path("a.txt"));
    file->Append(std::span<const char>(text.data(), 5));
    EXPECT_FALSE(std::filesystem::exists(Path("a.txt")));  // not visible before Commit
    file->Append(std::span<const char>(text.data() + 5, text.size() - 5));
    file->Commit();
  }
  auto in = fs_->OpenForRead(Path("a.txt"));
  EXPECT_EQ(in->size(), static_cast<int64_t>(text.size()));
  char buf[6];
  EXPECT_EQ(in->ReadAt(7, buf), 6u);
  EXPECT_EQ(std::string(buf, 6), "ranged");
  char tail[10];
  EXPECT_EQ(in->ReadAt(static_cast<int64_t>(text.size()) - 3, tail), 3u);  // short at the end
  EXPECT_EQ(ReadWholeFile(*fs_, Path("a.txt")), text);
  FileBytes bytes = ReadWholeFileBytes(*fs_, Path("a.txt"));
  EXPECT_EQ(std::string(bytes.data.get(), bytes.size), text);
}

TEST_F(LocalFileSystemTest, ReadWholeFileBytesOfAnEmptyFile) {
  WriteWholeFile(*fs_, Path("empty"), std::span<const char>());
  EXPECT_EQ(ReadWholeFileBytes(*fs_, Path("empty")).size, 0u);
}

TEST_F(LocalFileSystemTest, UncommittedWriteLeavesNothing) {
  { fs_->OpenForWrite(Path("b.txt"))->Append(std::span<const char>("xyz", 3)); }
  EXPECT_FALSE(std::filesystem::exists(Path("b.txt")));
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);  // only sub/
}

TEST_F(LocalFileSystemTest, GlobSortsAndMatchesDirectories) {
  for (std::string name : {"c.csv", "a.csv", "b.txt", "sub/d.csv"}) {
    WriteWholeFile(*fs_, Path(name), std::span<const char>(name.data(), name.size()));
  }
  auto csv = fs_->Glob(Path("*.csv"));
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0].path, Path("a.csv"));
  EXPECT_EQ(csv[1].path, Path("c.csv"));
  EXPECT_EQ(csv[0].size, 5);
  EXPECT_EQ(fs_->Glob(Path("sub")).size(), 1u);
  EXPECT_EQ(fs_->Glob(Path("a.csv")).size(), 1u);
  try {
    fs_->Glob(Path("*.parquet"));
    FAIL() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

TEST_F(LocalFileSystemTest, ListDirectoryGivesFilesAndSubdirectories) {
  for (std::string name : {"b.txt", "a.csv", "sub/d.csv"}) {
    WriteWholeFile(*fs_, Path(name), std::span<const char>(name.data(), name.size()));
  }
  std::filesystem::create_directories(dir_ / "empty");
  DirectoryListing listing = fs_->ListDirectory(dir_.string());
  ASSERT_EQ(listing.files.size(), 2u);
  EXPECT_EQ(listing.files[0].path, Path("a.csv"));
  EXPECT_EQ(listing.files[1].path, Path("b.txt"));
  EXPECT_EQ(listing.directories, (std::vector<std::string>{Path("empty"), Path("sub")}));
  EXPECT_THROW(fs_->ListDirectory(Path("missing")), Error);
}

TEST_F(LocalFileSystemTest, MissingFileErrorsNameThePath) {
  try {
    fs_->OpenForRead(Path("missing.csv"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos) << e.what();
  }
}

TEST_F(LocalFileSystemTest, RenameAndDelete) {
  WriteWholeFile(*fs_, Path("x"), std::span<const char>("1", 1));
  fs_->Rename(Path("x"), Path("y"));
  EXPECT_EQ(ReadWholeFile(*fs_, Path("y")), "1");
  fs_->Delete(Path("y"));
  fs_->Delete(Path("y"));  // deleting a missing file is not an error
  EXPECT_FALSE(std::filesystem::exists(Path("y")));
}

}  // namespace
}  // namespace sluice::fs

namespace sluice::fs {
namespace {

TEST(LocalFileMap, MapsRangesAtAnyOffsetClippedToTheFile) {
  auto fs = LocalFileSystem();
  const std::string path = ::testing::TempDir() + "/sluice-fs-map-" + std::to_string(::getpid());
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ',';  // crosses several pages
  WriteWholeFile(*fs, path, text);
  auto in = fs->OpenForRead(path);
  for (int64_t offset : {0, 1, 4095, 4096, 9000}) {
    auto view = in->Map(offset, 5000);
    ASSERT_NE(view, nullptr);
    ASSERT_EQ(view->size(), 5000u);
    EXPECT_EQ(std::string(view->data(), view->size()), text.substr(offset, 5000));
  }
  auto tail = in->Map(static_cast<int64_t>(text.size()) - 3, 100);
  EXPECT_EQ(std::string(tail->data(), tail->size()), text.substr(text.size() - 3));
  EXPECT_EQ(in->Map(static_cast<int64_t>(text.size()), 10)->size(), 0u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sluice::fs
