#include "sluice/jobs/bloom/bloom_job.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <random>
#include <set>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_schema.h"

namespace sluice {
namespace {

class BloomJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-bloom-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  // Files of id,email,name,amount with quoted names holding commas, doubled quotes and
  // newlines; returns the emails written (some empty = null).
  std::vector<std::string> WriteFiles(int files, int rows_per_file) {
    std::mt19937_64 rng(99);
    std::vector<std::string> emails;
    for (int f = 0; f < files; ++f) {
      std::string text = "id,email,name,amount\n";
      for (int r = 0; r < rows_per_file; ++r) {
        std::string email = rng() % 50 == 0 ? "" : "u" + std::to_string(rng() % 1000000) + "@x.org";
        if (!email.empty()) emails.push_back(email);
        std::string name = rng() % 3 == 0 ? "\"Doe, \"\"J\"\"\nJr\"" : "plain";
        text +=
            std::to_string(r) + "," + email + "," + name + "," + std::to_string(rng() % 999) + "\n";
      }
      fs::WriteWholeFile(*fs::LocalFileSystem(), Path("part" + std::to_string(f) + ".csv"), text);
    }
    return emails;
  }
  BloomJobOptions Options() {
    BloomJobOptions o;
    o.inputs = {Path("*.csv")};
    o.column = "email";
    o.fpr = 0.01;
    o.csv.chunk_bytes = 4096;
    return o;
  }
  std::filesystem::path dir_;
};

TEST_F(BloomJobTest, SameBitsWhateverTheThreadsAndNoFalseNegatives) {
  auto emails = WriteFiles(4, 5000);
  BloomJobOptions options = Options();
  options.expected_items = 20000;
  SplitBlockBloomFilter reference(SplitBlockBloomFilter::BlocksFor(20000, 0.01));
  for (const auto& e : emails) reference.Insert(SplitBlockBloomFilter::Hash(e));
  for (int threads : {1, 2, 4, 8}) {
    RunOptions run;
    run.cpu_threads = threads;
    run.memory_budget = 64 << 20;
    BloomJobResult r = RunBloomJob(options, run);
    EXPECT_TRUE(r.file.filter == reference) << threads << " threads";
    EXPECT_EQ(r.rows, 20000);
    EXPECT_EQ(r.file.items, static_cast<int64_t>(emails.size()));
    EXPECT_EQ(r.nulls, 20000 - static_cast<int64_t>(emails.size()));
    EXPECT_EQ(r.file.sizing, "given");
    for (const auto& e : emails)
      ASSERT_TRUE(r.file.filter.MightContain(SplitBlockBloomFilter::Hash(e)));
  }
}

TEST_F(BloomJobTest, EstimatesOrCountsTheSizeAndWritesTheFile) {
  WriteFiles(2, 3000);
  BloomJobOptions options = Options();
  options.output = Path("out.bloom");
  RunOptions run;
  BloomJobResult estimated = RunBloomJob(options, run);
  EXPECT_EQ(estimated.file.sizing, "estimated");
  EXPECT_GE(estimated.file.expected_items, 6000);
  EXPECT_LE(estimated.file.expected_items, 6000 * 2);
  options.sizing = BloomSizing::kCount;
  BloomJobResult counted = RunBloomJob(options, run);
  EXPECT_EQ(counted.file.sizing, "counted");
  // Rows plus the header lines: the count pass counts row ends, not records.
  EXPECT_EQ(counted.file.expected_items, 6002);
  BloomFilterFile back = ReadBloomFilterFile(*fs::LocalFileSystem(), Path("out.bloom"));
  EXPECT_TRUE(back.filter == counted.file.filter);
  EXPECT_EQ(back.column, "email");
}

TEST_F(BloomJobTest, BadRowsFailWithContextOrAreSkippedAndCounted) {
  fs::WriteWholeFile(*fs::LocalFileSystem(), Path("a.csv"),
                     std::string("id,email\n1,a@x\n2,b@x,extra\n3,c@x\n"));
  BloomJobOptions options = Options();
  options.expected_items = 10;
  try {
    RunBloomJob(options, RunOptions{});
    FAIL() << "expected InvalidData";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_EQ(e.ContextValue("line"), "3");
    EXPECT_EQ(e.ContextValue("file"), Path("a.csv"));
  }
  // An unterminated quote at the end is a chunk of its own, parsed in parallel with the first.
  fs::WriteWholeFile(*fs::LocalFileSystem(), Path("a.csv"),
                     std::string("id,email\n1,a@x\n2,b@x,extra\n3,\"c@x\n"));
  options.csv.bad_rows = csv::BadRowPolicy::kSkip;
  BloomJobResult r = RunBloomJob(options, RunOptions{});
  EXPECT_EQ(r.bad_rows, 2);  // the extra field and the unterminated quote
  EXPECT_EQ(r.file.items, 1);
  ASSERT_EQ(r.bad_row_examples.size(), 2u);
  options.column = "mail";
  EXPECT_THROW(RunBloomJob(options, RunOptions{}), Error);
}

TEST_F(BloomJobTest, IntegerColumnsHashTheirPlainEncoding) {
  WriteFiles(1, 100);
  BloomJobOptions options = Options();
  options.column = "id";
  options.expected_items = 100;
  options.csv.column_types = csv::ParseColumnTypes("id=int64");
  BloomJobResult r = RunBloomJob(options, RunOptions{});
  EXPECT_EQ(r.file.value_type, BloomValueType::kInt64);
  for (int64_t id = 0; id < 100; ++id) {
    EXPECT_TRUE(r.file.filter.MightContain(XxHash64(&id, 8, 0)));
  }
}

}  // namespace
}  // namespace sluice
