#include "sluice/base/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Everything in the directory, temporaries included.
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }

  ScratchDir scratch_{"sluice-atomic-file"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(AtomicFileTest, WritesTheWholeContentAndLeavesNoTemporary) {
  const std::string path = (dir_ / "out.json").string();
  WriteFileAtomically(path, "{\"a\": 1}\n");
  EXPECT_EQ(Read(path), "{\"a\": 1}\n");
  WriteFileAtomically(path, "second");
  EXPECT_EQ(Read(path), "second");
  EXPECT_THAT(Names(), ::testing::ElementsAre("out.json"));
}

TEST_F(AtomicFileTest, TheTargetIsUntouchedUntilCommit) {
  const std::string path = (dir_ / "out.txt").string();
  WriteFileAtomically(path, "old");
  {
    AtomicFile file(path);
    file.Append(std::string_view("new and longer"));
    EXPECT_EQ(Read(path), "old");
    EXPECT_EQ(Names().size(), 2u);  // the target and the hidden temporary
  }
  // Abandoned: the temporary is gone and the old content stays.
  EXPECT_EQ(Read(path), "old");
  EXPECT_THAT(Names(), ::testing::ElementsAre("out.txt"));
}

TEST_F(AtomicFileTest, StreamedAppendsCommitOnce) {
  const std::string path = (dir_ / "stream.bin").string();
  AtomicFile file(path);
  file.Append(std::string_view("ab"));
  file.Append(std::string_view("cd"));
  file.Commit();
  EXPECT_EQ(Read(path), "abcd");
  try {
    file.Commit();
    ADD_FAILURE() << "committed twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
  EXPECT_THAT(Names(), ::testing::ElementsAre("stream.bin"));
}

TEST_F(AtomicFileTest, AMissingDirectoryIsNotFoundNamingTheTarget) {
  const std::string path = (dir_ / "missing" / "out.json").string();
  try {
    WriteFileAtomically(path, "x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);  // ENOENT, as IoErrorFromErrno maps it
    EXPECT_THAT(e.what(), ::testing::HasSubstr(path));
  }
}

}  // namespace
}  // namespace sluice
