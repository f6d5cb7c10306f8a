// `sluice bloom` and `sluice bloom check` end to end with the real binary: a filter built from
// CSV files (one gzip) answers maybe for every value in them, no for most others, reads values
// from arguments or stdin, counts, and bad input fails with the file and line.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "command_output_test_support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string RunSluice(const std::string& args, int* status, bool with_stderr = false) {
  std::string command =
      std::string(SLUICE_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  return testing::CommandOutput(command, status);
}

class BloomCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_bloom_cli_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::string a = "id,email,name\n";
    std::string b = "id,email,name\n";
    for (int i = 0; i < 2000; ++i) {
      (i % 2 ? a : b) +=
          std::to_string(i) + ",user" + std::to_string(i) + "@x.org,\"Doe, \"\"J\"\"\nJr\"\n";
    }
    std::ofstream(dir_ / "a.csv") << a;
    gzFile gz = gzopen((dir_ / "b.csv.gz").c_str(), "wb");
    gzwrite(gz, b.data(), static_cast<unsigned>(b.size()));
    gzclose(gz);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string D() const { return dir_.string(); }
  fs::path dir_;
};

TEST_F(BloomCliTest, BuildsAndChecks) {
  int status = 0;
  std::string out = RunSluice("bloom '" + D() + "/*' --column email --fpr 0.01 -o " + D() +
                                  "/e.bloom --progress off --threads 2",
                              &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("counted"), std::string::npos) << out;  // gzip input: a count pass
  EXPECT_NE(out.find("2000 rows"), std::string::npos) << out;
  EXPECT_EQ(RunSluice("bloom check " + D() + "/e.bloom user7@x.org user1999@x.org", &status),
            "user7@x.org\tmaybe\nuser1999@x.org\tmaybe\n");
  std::ofstream(dir_ / "probe.txt") << "user5@x.org\nnobody@x.org\n";
  std::string probed =
      RunSluice("bloom check " + D() + "/e.bloom - < " + D() + "/probe.txt", &status);
  EXPECT_TRUE(probed == "user5@x.org\tmaybe\nnobody@x.org\tno\n" ||
              probed == "user5@x.org\tmaybe\nnobody@x.org\tmaybe\n")
      << probed;
  // Every inserted value is maybe; of 20000 others about 1% are.
  std::ofstream members(dir_ / "members.txt"), others(dir_ / "others.txt");
  for (int i = 0; i < 2000; ++i) members << "user" << i << "@x.org\n";
  for (int i = 0; i < 20000; ++i) others << "other" << i << "@y.org\n";
  members.close();
  others.close();
  EXPECT_EQ(RunSluice("bloom check --count " + D() + "/e.bloom < " + D() + "/members.txt", &status),
            "2000\n");
  const int fp = std::stoi(
      RunSluice("bloom check --count " + D() + "/e.bloom < " + D() + "/others.txt", &status));
  EXPECT_LT(fp, 400);
}

TEST_F(BloomCliTest, BadInputFailsWithFileAndLine) {
  std::ofstream(dir_ / "bad.csv") << "id,email\n1,a@x\n2,\"b@x\n";
  int status = 0;
  std::string err = RunSluice("bloom " + D() + "/bad.csv --column email --expected-items 10 -o " +
                                  D() + "/bad.bloom --progress off",
                              &status, true);
  EXPECT_NE(status, 0);
  EXPECT_NE(err.find("unterminated quote"), std::string::npos) << err;
  EXPECT_NE(err.find("line 3"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "bad.bloom"));
  err = RunSluice("bloom " + D() + "/bad.csv --column mail -o x --progress off", &status, true);
  EXPECT_NE(err.find("no column named 'mail'"), std::string::npos) << err;
  err = RunSluice("bloom check " + D() + "/bad.csv x", &status, true);
  EXPECT_NE(status, 0);
  EXPECT_NE(err.find("not a sluice Bloom filter file"), std::string::npos) << err;
}

}  // namespace
}  // namespace sluice
