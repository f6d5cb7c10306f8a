#include "sluice/cli/job_flags.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/memory_limit.h"
#include "sluice/cli/live_ui.h"
#include "sluice/io/fs/file_system_for.h"

namespace sluice::cli {
namespace {

TEST(ParseMemoryBudgetTest, SizesAndPercentagesOfTheLimit) {
  EXPECT_EQ(ParseMemoryBudget("256MiB", 1_GiB), 256_MiB);
  EXPECT_EQ(ParseMemoryBudget("4GiB", 1_GiB), 4_GiB);
  EXPECT_EQ(ParseMemoryBudget("80%", 1000_MiB), 800_MiB);
  EXPECT_EQ(ParseMemoryBudget("12.5%", 1_GiB), 128_MiB);
  EXPECT_EQ(ParseMemoryBudget(" 50 % ", 1_GiB), 512_MiB);
  EXPECT_EQ(ParseMemoryBudget("100%", 3_GiB), 3_GiB);
  for (const char* bad : {"%", "0%", "-5%", "150%", "abc%", "50%%", "5O%", "lots"}) {
    EXPECT_THROW(ParseMemoryBudget(bad, 1_GiB), Error) << bad;
  }
}

// Parses `args` for a command with the job flags and returns its run options.
RunOptions Parse(std::vector<std::string> args, int64_t at_most = 0,
                 const std::vector<std::string>& paths = {}) {
  CLI::App app("test");
  JobFlags flags;
  flags.Add(app, at_most);
  args.insert(args.begin(), "test");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return flags.ToRunOptions(CancellationToken(), paths);
}

TEST(JobFlagsTest, WithoutMemoryTheBudgetIsTheDefaultShareOfTheProcesssLimit) {
  const int64_t limit = ProcessMemoryLimit().bytes;
  const RunOptions run = Parse({"--progress", "off"});
  EXPECT_EQ(run.memory_budget, DefaultMemoryBudget(limit));
  EXPECT_EQ(run.process_budget, run.memory_budget);
  // A command may cap its default (the demo does).
  EXPECT_EQ(Parse({"--progress", "off"}, 1_MiB).memory_budget, 1_MiB);
  EXPECT_EQ(Parse({"--progress", "off"}, int64_t{1} << 60).memory_budget,
            DefaultMemoryBudget(limit));
}

TEST(JobFlagsTest, MemoryAsASizeOrAPercentage) {
  const int64_t limit = ProcessMemoryLimit().bytes;
  EXPECT_EQ(Parse({"--memory", "64MiB", "--progress", "off"}).memory_budget, 64_MiB);
  EXPECT_EQ(Parse({"--memory", "50%", "--progress", "off"}).memory_budget, limit / 2);
  try {
    Parse({"--memory", "120%", "--progress", "off"});
    FAIL() << "120% was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("flag"), "--memory");
  }
  EXPECT_THROW(Parse({"--memory", "1KiB", "--progress", "off"}), Error);
}

// With an s3:// input or output the S3 transfers' share comes out of the run's budget; --limit
// takes s3=N alone.
TEST(JobFlagsTest, S3TakesItsShareOfTheBudgetOnlyWhenAPathIsOnS3) {
  EXPECT_EQ(S3MemoryShare(256_MiB), 32_MiB);
  EXPECT_EQ(S3MemoryShare(48_MiB), 8_MiB);
  EXPECT_EQ(S3MemoryShare(16_MiB), 4_MiB);  // never more than a quarter
  EXPECT_EQ(S3MemoryShare(16_GiB), 256_MiB);
  const std::vector<std::string> local = {"in/a.parquet", "out.parquet"};
  EXPECT_EQ(Parse({"--memory", "256MiB", "--progress", "off"}, 0, local).memory_budget, 256_MiB);
  for (const char* bad : {"s3=0", "s3=x", "es=4", "s3"}) {
    try {
      Parse({"--limit", bad, "--progress", "off"}, 0, local);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.ContextValue("flag"), "--limit") << bad;
    }
  }
  const RunOptions s3 = Parse({"--memory", "256MiB", "--limit", "s3=8", "--progress", "off"}, 0,
                              {"s3://bucket/in/", "out.parquet"});
  EXPECT_EQ(s3.memory_budget, 224_MiB);
  EXPECT_EQ(s3.process_budget, 256_MiB);  // the process's RSS is still judged against all of it
  EXPECT_EQ(fs::ProcessS3Memory().limit(), 32_MiB);
}

TEST(JobFlagsTest, HelpStatesTheDefaultAndWhereItComesFrom) {
  CLI::App app("test");
  JobFlags flags;
  flags.Add(app);
  const std::string help = app.help();
  EXPECT_NE(help.find("percentage (80%)"), std::string::npos) << help;
  EXPECT_NE(help.find(fmt::format("default: {}% of that less 64 MiB; here {}, from ",
                                  kDefaultBudgetPercent,
                                  FormatBytes(DefaultMemoryBudget(ProcessMemoryLimit().bytes)))),
            std::string::npos)
      << help;
  EXPECT_NE(help.find(ProcessMemoryLimit().Describe()), std::string::npos) << help;
}

// --ui alone, --ui=ADDR and --ui ADDR, before, between or after a command's arguments.
TEST(UiOptionTest, TheAddressWithEqualsOrAsTheNextWord) {
  using Parsed = std::tuple<std::string, std::string, std::string>;
  auto parse = [](std::vector<std::string> args) {
    CLI::App app("test");
    std::string ui, source, destination;
    AddUiOption(app, ui, "Serve the page");
    app.add_option("source", source)->required();
    app.add_option("destination", destination)->required();
    args = LeaveNonAddressAfterUi(std::move(args));  // as main does
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return Parsed{ui, source, destination};
  };
  EXPECT_EQ(parse({"a", "b"}), Parsed("", "a", "b"));
  EXPECT_EQ(parse({"--ui", "a", "b"}), Parsed(kDefaultUiAddress, "a", "b"));
  EXPECT_EQ(parse({"a", "b", "--ui"}), Parsed(kDefaultUiAddress, "a", "b"));
  EXPECT_EQ(parse({"--ui", "127.0.0.1:9000", "a", "b"}), Parsed("127.0.0.1:9000", "a", "b"));
  EXPECT_EQ(parse({"--ui=0.0.0.0:9000", "a", "b"}), Parsed("0.0.0.0:9000", "a", "b"));
  EXPECT_EQ(parse({"a", "--ui", ":9000", "b"}), Parsed(":9000", "a", "b"));
  EXPECT_EQ(parse({"a", "b", "--ui", "[::1]:9000"}), Parsed("[::1]:9000", "a", "b"));
  // A word that is no address is an argument: here one too many.
  EXPECT_THROW(parse({"--ui", "x", "a", "b"}), CLI::ExtrasError);
  EXPECT_THROW(parse({"a", "b", "--ui", "host:port"}), CLI::ExtrasError);
  try {
    parse({"--ui=host:port", "a", "b"});
    FAIL() << "--ui=host:port was accepted";
  } catch (const CLI::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("write --ui=HOST:PORT"), std::string::npos) << e.what();
  }
}

// `sluice status [JOB] --ui [ADDR]`: the job is optional, so CLI11 alone takes the word after
// --ui as the address; LeaveNonAddressAfterUi (main.cc) leaves it to the job unless it is one.
TEST(UiOptionTest, AWordThatIsNoAddressIsLeftToAnOptionalArgument) {
  using Parsed = std::pair<std::string, std::string>;
  auto parse = [](const std::vector<std::string>& words) {
    CLI::App app("test");
    std::string ui, job;
    AddUiOption(app, ui, "Serve the page");
    app.add_option("job", job);
    std::vector<std::string> args = LeaveNonAddressAfterUi(words);
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return Parsed{ui, job};
  };
  const std::string job = "batch orders -> s3://bucket/out @0123456789abcdef";
  EXPECT_EQ(parse({"--ui", job}), Parsed(kDefaultUiAddress, job));
  EXPECT_EQ(parse({job, "--ui"}), Parsed(kDefaultUiAddress, job));
  EXPECT_EQ(parse({"--ui", "sums"}), Parsed(kDefaultUiAddress, "sums"));
  EXPECT_EQ(parse({"--ui", "127.0.0.1:9000", "sums"}), Parsed("127.0.0.1:9000", "sums"));
  EXPECT_EQ(parse({"sums", "--ui", ":0"}), Parsed(":0", "sums"));
  EXPECT_EQ(parse({"--ui", ":9000"}), Parsed(":9000", ""));
  EXPECT_EQ(parse({"--ui"}), Parsed(kDefaultUiAddress, ""));
  EXPECT_EQ(parse({"--ui=[::1]:9000", "sums"}), Parsed("[::1]:9000", "sums"));
  // Nothing after "--" is touched: it is a command's.
  const std::vector<std::string> command = {"run", "--", "tool", "--ui", "x"};
  EXPECT_EQ(LeaveNonAddressAfterUi(command), command);
  EXPECT_EQ(LeaveNonAddressAfterUi({"--ui", "--json"}),
            (std::vector<std::string>{"--ui", "--json"}));
}

TEST(UiOptionTest, JobFlagsTakeTheAddressAsTheNextWord) {
  CLI::App app("test");
  JobFlags flags;
  flags.Add(app);
  std::vector<std::string> args = {"--ui", "127.0.0.1:9000", "--ui-linger"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  EXPECT_EQ(flags.ui, "127.0.0.1:9000");
  EXPECT_TRUE(flags.ui_linger);
}

}  // namespace
}  // namespace sluice::cli
