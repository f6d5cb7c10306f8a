// The live terminal view in a real terminal: `sluice demo --synthetic --progress live` inside tmux
// at 80 and 200 columns. Every line on screen (wrapped rows joined back) fits the width, the
// header and verdict appear once (a wrapped line used to leave a copy behind at every redraw),
// two captures a second apart hold the same number of lines beside the verdict (whose clauses
// wrap onto one to a few lines as they change), and narrowing the window mid-run
// (SIGWINCH) still leaves one frame that fits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command_output_test_support.h"
#include "sluice/base/testing/require_test_data.h"

namespace sluice {
namespace {

bool HaveTmux() {
  int status = 0;
  testing::CommandOutput("tmux -V 2>/dev/null", &status);
  return status == 0;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

int Width(const std::string& line) {
  int width = 0;
  for (unsigned char c : line) width += (c & 0xC0) != 0x80;
  return width;
}

int Count(const std::vector<std::string>& lines, const std::string& prefix) {
  int n = 0;
  for (const std::string& line : lines) n += line.rfind(prefix, 0) == 0;
  return n;
}

// One tmux server of its own (-L), killed with everything in it when the test ends.
class Tmux {
 public:
  explicit Tmux(int columns) : socket_("sluice-test-" + std::to_string(::getpid())) {
    // The pane outlives the run (sleep), so a run that ends early shows its summary, not nothing.
    Run("new-session -d -s view -x " + std::to_string(columns) + " -y 60 \"" + SLUICE_BINARY +
        " demo --synthetic --partitions 400 --threads 2 --progress live; sleep 120\"");
  }
  ~Tmux() { Run("kill-server"); }
  std::string Run(const std::string& args) {
    int status = 0;
    return testing::CommandOutput("tmux -f /dev/null -L " + socket_ + " " + args + " 2>&1",
                                  &status);
  }
  // The screen, wrapped rows joined back into the lines the program wrote.
  std::vector<std::string> Screen() { return Lines(Run("capture-pane -p -J -t view")); }
  // Waits for the live view's first frame.
  bool WaitForView() {
    for (int i = 0; i < 200; ++i) {
      if (Count(Screen(), "[demo]") == 1) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::string socket_;
};

void ExpectOneFrameThatFits(const std::vector<std::string>& screen, int columns,
                            const std::string& when) {
  std::string text;
  for (const std::string& line : screen) text += line + "\n";
  for (const std::string& line : screen) {
    EXPECT_LE(Width(line), columns) << when << ": a line wider than the terminal:\n" << text;
  }
  EXPECT_EQ(Count(screen, "[demo]"), 1) << when << ": the header is not drawn exactly once:\n"
                                        << text;
  EXPECT_EQ(Count(screen, "bottleneck: "), 1) << when << ": the verdict is not on one line of its "
                                              << "own, once:\n"
                                              << text;
  for (const char* stage : {"partitions", "list", "read", "bin", "concat", "write"}) {
    int lines = 0;
    for (const std::string& line : screen) {
      lines += line.rfind("  " + std::string(stage) + " ", 0) == 0 &&
               line.find(" busy ") != std::string::npos;
    }
    EXPECT_EQ(lines, 1) << when << ": the line of stage " << stage << ":\n" << text;
  }
}

// The frame's lines beside the verdict's: the verdict's clauses come and go as the run moves,
// so it wraps onto one to a few lines (continuations indented four spaces); the rest of a frame
// redrawn in place keeps its line count.
size_t LinesBesideTheVerdict(const std::vector<std::string>& screen) {
  size_t lines = 0;
  bool verdict = false;
  for (const std::string& line : screen) {
    if (line.rfind("bottleneck: ", 0) == 0 || (verdict && line.rfind("    ", 0) == 0)) {
      verdict = true;
      continue;
    }
    verdict = false;
    ++lines;
  }
  return lines;
}

class ProgressViewTmuxTest : public ::testing::TestWithParam<int> {};

TEST_P(ProgressViewTmuxTest, FitsTheTerminalAndRedrawsInPlace) {
  SLUICE_REQUIRE_TOOL(HaveTmux(), "tmux is not installed (scripts/deps.sh installs it)");
  const int columns = GetParam();
  Tmux tmux(columns);
  ASSERT_TRUE(tmux.WaitForView()) << "no live view appeared:\n" << tmux.Run("capture-pane -p");
  std::vector<std::string> first = tmux.Screen();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::vector<std::string> second = tmux.Screen();
  ExpectOneFrameThatFits(first, columns, "first capture");
  ExpectOneFrameThatFits(second, columns, "a redraw later");
  EXPECT_EQ(LinesBesideTheVerdict(first), LinesBesideTheVerdict(second))
      << "the redraw did not replace the frame in place";
  if (columns > 80) {
    // Narrowed mid-run: the old frame's rows are rewrapped and must still be erased.
    tmux.Run("resize-window -t view -x 80");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ExpectOneFrameThatFits(tmux.Screen(), 80, "after narrowing to 80 columns");
  }
}

INSTANTIATE_TEST_SUITE_P(Columns, ProgressViewTmuxTest, ::testing::Values(80, 200));

}  // namespace
}  // namespace sluice
