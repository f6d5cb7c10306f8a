// The HTML report and the live page in a real browser: Debian's Chromium driven by
// playwright-core from npm (both installed by scripts/deps.sh). The report of a real `sluice demo`
// run (the compaction of a generated dataset, written with --report run.html) is checked by
// tests/html_report_browser.js, the live page of a running `sluice demo --synthetic --ui` by
// tests/live_ui_browser.js, and `sluice status JOB --ui` of a ledger job run by two processes by
// tests/status_ui_browser.js; each saves a screenshot under SLUICE_SCREENSHOT_DIR (the build tree;
// docs/ keeps the ones the README shows). Skips without Chromium or playwright-core; fails under
// CI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "command_output_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string Chromium() {
  const char* chromium = std::getenv("CHROMIUM");
  return chromium != nullptr ? chromium : "/usr/bin/chromium";
}

bool HaveBrowser() {
  return fs::exists(Chromium()) &&
         fs::exists(fs::path(SLUICE_SOURCE_DIR) / "node_modules/playwright-core/package.json");
}

#define SLUICE_REQUIRE_BROWSER()                                                             \
  SLUICE_REQUIRE_TOOL(HaveBrowser(), "Chromium (" << Chromium()                              \
                                                  << ") or playwright-core (node_modules) "  \
                                                     "is missing: scripts/deps.sh installs " \
                                                     "both (apt's chromium, npm ci)")

std::string Screenshot(const std::string& name) {
  fs::create_directories(SLUICE_SCREENSHOT_DIR);
  return (fs::path(SLUICE_SCREENSHOT_DIR) / name).string();
}

TEST(HtmlReportBrowserTest, DemoReportShowsEveryStageAndTheVerdict) {
  SLUICE_REQUIRE_BROWSER();
  ScratchDir dir("sluice-html-report");
  const std::string report = dir.Path("run.html");
  int status = 0;
  std::string out =
      testing::CommandOutput(std::string(SLUICE_BINARY) + " demo --dir " + dir.Path("demo") +
                                 " --progress off --report " + report + " 2>&1",
                             &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(fs::exists(report)) << out;
  std::string checked = testing::CommandOutput(
      "cd " + std::string(SLUICE_SOURCE_DIR) + " && node tests/html_report_browser.js " + report +
          " " + Screenshot("run-report.png") + " 2>&1",
      &status);
  EXPECT_EQ(status, 0) << checked;
  EXPECT_EQ(checked.rfind("ok: 1 run(s), compact:", 0), 0u) << checked;
}

// `sluice run --report`: a ledger job with no pipeline; its page shows every attempt (b fails its
// first) and the partitions' sizes.
TEST(HtmlReportBrowserTest, RunReportShowsTheJobsAttempts) {
  SLUICE_REQUIRE_BROWSER();
  ScratchDir dir("sluice-run-report");
  const std::string report = dir.Path("run.html");
  int status = 0;
  std::string out = testing::CommandOutput(
      std::string(SLUICE_BINARY) + " run --job report --partition-by list:a,b,c,d --state " +
          dir.Path("state") + " --retry-delay 0 --report " + report +
          " -- sh -c 'if [ {key} = b ] && [ {attempt} = 1 ]; then exit 3; fi; echo {key} > "
          "{output}/out' 2>&1",
      &status);
  ASSERT_EQ(status, 0) << out;
  std::string checked = testing::CommandOutput(
      "cd " + std::string(SLUICE_SOURCE_DIR) + " && node tests/html_report_browser.js " + report +
          " " + Screenshot("run-job-report.png") + " 2>&1",
      &status);
  EXPECT_EQ(status, 0) << checked;
  EXPECT_NE(checked.find("job report: 5 attempts"), std::string::npos) << checked;
}

TEST(HtmlReportBrowserTest, LivePageMovesWhileTheJobRuns) {
  SLUICE_REQUIRE_BROWSER();
  int status = 0;
  std::string checked = testing::CommandOutput(
      "cd " + std::string(SLUICE_SOURCE_DIR) + " && node tests/live_ui_browser.js " +
          SLUICE_BINARY + " " + Screenshot("live-ui.png") + " 2>&1",
      &status);
  EXPECT_EQ(status, 0) << checked;
  EXPECT_NE(checked.find("ok: the live page moved and finished"), std::string::npos) << checked;
}

TEST(HtmlReportBrowserTest, StatusPageShowsALedgerJobAcrossItsWorkers) {
  SLUICE_REQUIRE_BROWSER();
  ScratchDir dir("sluice-status-ui");
  int status = 0;
  std::string checked = testing::CommandOutput(
      "cd " + std::string(SLUICE_SOURCE_DIR) + " && node tests/status_ui_browser.js " +
          SLUICE_BINARY + " " + dir.path().string() + " " + Screenshot("status-ui.png") + " 2>&1",
      &status);
  EXPECT_EQ(status, 0) << checked;
  EXPECT_NE(checked.find("ok: the status page moved and showed every attempt"), std::string::npos)
      << checked;
}

}  // namespace
}  // namespace sluice
