#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/command_template.h"
#include "sluice/jobs/file_partitioner.h"
#include "sluice/jobs/key_range_partitioner.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/ledger/sqlite_connection.h"

namespace sluice::jobs {
namespace {

namespace fs = std::filesystem;

std::vector<ledger::PartitionSpec> Collect(Partitioner& p) {
  std::vector<ledger::PartitionSpec> out;
  p.Generate([&](ledger::PartitionSpec s) { out.push_back(std::move(s)); });
  return out;
}

// A fresh directory for one test, removed when the test ends.
struct ScratchDir {
  explicit ScratchDir(const std::string& name)
      : path(fs::temp_directory_path() / ("sluice-jobs-unit-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path path;
};

TEST(CommandTemplateTest, ExpandsAndRejectsUnknownPlaceholders) {
  CommandTemplate t({"cat", "{path}", "{{x}}", "{output}/{attempt}"}, {"path"});
  ledger::Lease lease{7, 2, 1, "k", R"({"path":"a b.txt"})", {}};
  EXPECT_EQ(t.Expand(lease, "/o"), (std::vector<std::string>{"cat", "a b.txt", "{x}", "/o/2"}));
  try {
    CommandTemplate({"echo", "{pth}"}, {"path"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("command argument"), "2");
  }
  EXPECT_THROW(CommandTemplate({"echo", "{path"}, {"path"}), Error);
  EXPECT_THROW(CommandTemplate({}, {}), Error);
}

TEST(FilePartitionerTest, PerFileBatchesAndRanges) {
  const ScratchDir scratch("files");
  const fs::path& dir = scratch.path;
  for (int i = 0; i < 3; ++i)
    std::ofstream(dir / ("f" + std::to_string(i))) << std::string(10, 'x');
  FilePartitioner per_file(dir.string(), {});
  auto files = Collect(per_file);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].key, (dir / "f0").string());
  FilePartitioner batches((dir / "f*").string(), {FileGrouping::Kind::kBatches, 20, 0});
  auto b = Collect(batches);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(b[0].definition_json)["paths"].size(), 2u);
  FilePartitioner ranges((dir / "f0").string(), {FileGrouping::Kind::kByteRanges, 0, 4});
  auto r = Collect(ranges);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(r[2].definition_json)["length"], 2);
  FilePartitioner none((dir / "nothing*").string(), {});
  EXPECT_TRUE(Collect(none).empty());
}

TEST(PartitionDefinitionTest, EachKindRoundTripsUnderItsPlaceholderNames) {
  const FileBatchPartition batch{"a", {"a", "b"}, 7};
  EXPECT_EQ(batch.ToJson(), R"({"path":"a","paths":["a","b"],"size":7})");
  const FileBatchPartition batch_back = FileBatchPartition::FromJson(batch.ToJson());
  EXPECT_EQ(batch_back.path, "a");
  EXPECT_EQ(batch_back.paths, batch.paths);
  EXPECT_EQ(batch_back.size, 7);
  const ByteRangePartition range =
      ByteRangePartition::FromJson(ByteRangePartition{"f", 4, 2, 10}.ToJson());
  EXPECT_EQ(range.path, "f");
  EXPECT_EQ(range.offset, 4);
  EXPECT_EQ(range.length, 2);
  EXPECT_EQ(range.size, 10);
  const KeyRangePartition keys{"t", "c", 1, 2};
  EXPECT_EQ(keys.ToJson(), R"({"column":"c","hi":2,"lo":1,"table":"t"})");
  EXPECT_EQ(KeyRangePartition::FromJson(keys.ToJson()).hi, 2);
  // The command template reads a definition's fields by the same names.
  CommandTemplate command({"x", "{path}", "{size}"}, {"path", "size"});
  ledger::Lease lease{1, 1, 1, "k", FilePartition{"p", 3}.ToJson(), {}};
  EXPECT_EQ(command.Expand(lease, ""), (std::vector<std::string>{"x", "p", "3"}));
  try {
    FilePartition::FromJson(R"({"path":"p"})");
    FAIL() << "a definition without its size was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
  }
  EXPECT_THROW(KeyRangePartition::FromJson("not json"), Error);
}

TEST(KeyRangePartitionerTest, CoversEveryKeyWithQuotedNames) {
  const ScratchDir scratch("keys");
  const fs::path& dir = scratch.path;
  {
    ledger::SqliteConnection db(dir / "src.db", std::chrono::seconds(1));
    db.Exec(R"(CREATE TABLE "odd ""t""" ("the id" INTEGER); )");
    for (int k : {5, 1, 3, 3, 9, 7, 2}) {
      db.Exec("INSERT INTO \"odd \"\"t\"\"\" VALUES (" + std::to_string(k) + ")");
    }
  }
  KeyRangePartitioner p("sqlite:" + (dir / "src.db").string(), R"("odd ""t""")", "the id", 2);
  auto ranges = Collect(p);
  std::vector<std::string> keys;
  for (const auto& r : ranges) keys.push_back(r.key);
  // Distinct keys 1 2 3 5 7 9: starts 1, 3, 7; the last range ends at the maximum.
  EXPECT_EQ(keys, (std::vector<std::string>{"1..2", "3..6", "7..9"}));
  EXPECT_THROW(KeyRangePartitioner("sqlite:" + (dir / "src.db").string(), "", "c", 1), Error);
  KeyRangePartitioner missing("sqlite:" + (dir / "absent.db").string(), "t", "c", 1);
  EXPECT_THROW(Collect(missing), Error);
  EXPECT_FALSE(fs::exists(dir / "absent.db"));
}

TEST(OutputCommitTest, KeyEncodingIsInjectiveAndFlat) {
  EXPECT_EQ(EncodeKeyForPath("logs/a.gz"), "logs%2Fa.gz");
  EXPECT_NE(EncodeKeyForPath("a/b"), EncodeKeyForPath("a%2Fb"));
  EXPECT_EQ(EncodeKeyForPath(".."), "%2E.");
  EXPECT_LE(EncodeKeyForPath(std::string(1000, 'k')).size(), 200u);
}

}  // namespace
}  // namespace sluice::jobs
