#include "sluice/flow/progress_view.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace sluice {
namespace {

RunReport Snapshot() {
  RunReport r;
  r.pipeline = "compact";
  r.wall_seconds = 1.0;
  r.memory_budget = 256LL << 20;
  for (const char* name : {"partitions", "list", "footer", "bin", "concat", "write"}) {
    StageReport s;
    s.name = name;
    StageSecond second;
    second.end_seconds = 1.0;
    second.times.busy_ms = 970;
    second.times.idle_ms = 30;
    second.counters.items_out = 123456;
    second.counters.bytes_out = 987654321;
    second.queue_items = 12;
    second.concurrency = 4;
    s.seconds.push_back(second);
    r.stages.push_back(s);
  }
  r.verdict.text =
      "bottleneck: concat (busy 97%), partitions starved 100% of the time, list starved 96% of "
      "the time, footer starved 88% of the time, write starved 60% of the time";
  return r;
}

int Width(const std::string& line) {
  int width = 0;
  for (unsigned char c : line) width += (c & 0xC0) != 0x80;
  return width;
}

TEST(ProgressViewTest, LiveFrameFitsTheTerminalWithTheVerdictOnItsOwnLines) {
  for (int columns : {40, 80, 200}) {
    std::vector<std::string> frame = ProgressView::LiveFrame(Snapshot(), columns);
    for (const std::string& line : frame) {
      EXPECT_LT(Width(line), columns) << columns << " columns: " << line;
    }
    ASSERT_GE(frame.size(), 8u);
    EXPECT_EQ(frame[0].rfind("[compact] 1.0 s  memory", 0), 0u) << frame[0];
    EXPECT_EQ(frame[0].find("bottleneck"), std::string::npos) << frame[0];
    EXPECT_EQ(frame[1].rfind("bottleneck: concat (busy 97%)", 0), 0u) << frame[1];
    // Each stage has its line, and its shares come before the rates a narrow terminal cuts.
    EXPECT_EQ(frame[frame.size() - 6].rfind("  partitions", 0), 0u);
    if (columns >= 80) {
      EXPECT_NE(frame.back().find("busy  97% bp   0% idle   3% wait   0%"), std::string::npos)
          << frame.back();
    }
  }
  // Wide enough, the verdict is one line, uncut.
  std::vector<std::string> wide = ProgressView::LiveFrame(Snapshot(), 200);
  EXPECT_EQ(wide[1], Snapshot().verdict.text);
  EXPECT_EQ(wide.size(), 8u);
  // At 80 columns the verdict is wrapped at its clauses, none lost.
  std::vector<std::string> narrow = ProgressView::LiveFrame(Snapshot(), 80);
  std::string verdict;
  for (size_t i = 1; i < narrow.size() - 6; ++i) verdict += narrow[i];
  EXPECT_NE(verdict.find("write starved 60% of the time"), std::string::npos) << verdict;
}

TEST(ProgressViewTest, CutsByCharactersNotBytes) {
  EXPECT_EQ(ProgressView::CutToWidth("abcdef", 4), "abc~");
  EXPECT_EQ(ProgressView::CutToWidth("abcd", 4), "abcd");
  EXPECT_EQ(ProgressView::CutToWidth("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9~");
  EXPECT_EQ(ProgressView::CutToWidth("anything", 0), "anything");
}

TEST(ProgressViewTest, LinesModeIsUncutAndKeepsTheVerdictInTheHeader) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressView view(ProgressMode::kLines, out);
    view.Update(Snapshot());
    view.Finish();
  }
  std::rewind(out);
  std::string text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;) text.append(buffer, n);
  std::fclose(out);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("(peak 0 B)  " + Snapshot().verdict.text + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  concat       busy  97%"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice
