// RunReport: what a pipeline run did, per stage and per second, and the verdict on which stage was
// the bottleneck. Time is counted in slot-milliseconds: a stage allowed 4 concurrent tasks has
// 4000 slot-ms per second, each spent busy (running its function), backpressured (holding or
// wanting to produce output the budget had no room for), idle (starved: no input) or waiting
// (input and room, but no free core or I/O slot).
//
// Thread safety: plain values.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// A fraction as a rounded percentage, for reports and the live view.
inline int Percent(double fraction) { return static_cast<int>(std::lround(100 * fraction)); }

struct StageTimes {
  double busy_ms = 0;
  double backpressured_ms = 0;
  double idle_ms = 0;
  double waiting_ms = 0;

  double total() const { return busy_ms + backpressured_ms + idle_ms + waiting_ms; }
  double busy() const { return Fraction(busy_ms); }
  double backpressured() const { return Fraction(backpressured_ms); }
  double idle() const { return Fraction(idle_ms); }
  double waiting() const { return Fraction(waiting_ms); }

 private:
  double Fraction(double part) const { return total() > 0 ? part / total() : 0; }
};

struct StageCounters {
  int64_t items_in = 0;
  int64_t items_out = 0;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
};

// Differences of cumulative values: what happened between two snapshots.
StageTimes operator-(const StageTimes& a, const StageTimes& b);
StageCounters operator-(const StageCounters& a, const StageCounters& b);

// One second (or the last, shorter interval) of one stage.
struct StageSecond {
  double end_seconds = 0;  // since the run started
  StageTimes times;
  StageCounters counters;
  int64_t queue_items = 0;
  int64_t queue_bytes = 0;
  int concurrency = 0;
};

struct StageReport {
  std::string name;
  std::string type;  // source, map, filter, flat_map, batch, sink, reduce
  bool io = false;
  std::string resource;
  StageTimes times;
  StageCounters counters;
  int min_concurrency = 0;
  int max_concurrency = 0;
  int final_concurrency = 0;
  int peak_concurrency = 0;
  double busy_seconds = 0;  // exact time inside the stage's function
  double cpu_seconds = 0;   // CPU time its threads used there (less than busy when they wait)
  int64_t overdrafts = 0;   // outputs let past the budget to keep the pipeline live
  int64_t borrows = 0;      // stalls broken by using other stages' idle shares, within budget
  int64_t early_flushes = 0;
  std::vector<StageSecond> seconds;
};

struct HungTask {
  std::string stage;
  std::string item;
  double running_seconds = 0;
  double typical_ms = 0;
};

struct Verdict {
  std::string bottleneck;  // "" when no stage limited the run
  double bottleneck_busy = 0;
  std::vector<std::pair<std::string, double>> starved;    // stage, idle fraction
  std::vector<std::pair<std::string, double>> backed_up;  // stage, backpressured fraction
  std::string text;  // one line: "bottleneck: concat (busy 97%), footer starved 80% of the time"
};

// One second (or the last, shorter interval) of the run's memory: the budget's accounted bytes
// beside the process's resident set, which also holds what the accounting does not see.
struct MemorySecond {
  double end_seconds = 0;
  int64_t accounted_bytes = 0;  // in use at the end of the second
  int64_t rss_bytes = 0;        // the most sampled during the second
};

struct RunReport {
  std::string pipeline;
  double wall_seconds = 0;
  int cpu_threads = 0;
  int64_t memory_budget = 0;
  int64_t peak_memory = 0;
  int64_t memory_in_use = 0;  // at the time of the report (0 at the end of a run)
  int64_t overdrafts = 0;
  int64_t process_budget = 0;  // what peak_rss is judged against (0: not judged)
  int64_t peak_rss = 0;        // the process's resident set, sampled every 10 ms while it ran
  std::vector<MemorySecond> memory;
  double cpu_busy = 0;  // fraction of the CPU pool's core time spent in stage functions
  std::vector<StageReport> stages;
  std::vector<HungTask> hung_tasks;
  std::vector<std::string> warnings;
  Verdict verdict;

  const StageReport* Stage(const std::string& name) const;
  nlohmann::json ToJson() const;
  // Writes ToJson() to path via a temporary file and rename, as a self-contained HTML page when
  // the path ends in .html, else as JSON (report_file.h); throws Error on failure.
  void Write(const std::string& path) const;
  // A readable multi-line table of the stages plus the verdict.
  std::string Summary() const;
};

}  // namespace sluice
