// Options of pipeline stages and of a run.
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "sluice/base/bytes.h"
#include "sluice/base/cancellation.h"

namespace sluice {

struct RunReport;

enum class StageKind {
  kCpu,  // runs on the fixed CPU pool (one thread per core)
  kIo,   // blocks on I/O: runs on the elastic I/O pool, capped per named resource
};
inline constexpr StageKind kCpu = StageKind::kCpu;
inline constexpr StageKind kIo = StageKind::kIo;

struct StageOptions {
  StageKind kind = StageKind::kCpu;
  // The I/O resource this stage's tasks hold (RunOptions::resource_caps); "" means "io".
  std::string resource;
  // Concurrency bounds for the autoscaler; 0 leaves a bound automatic. min == max pins it.
  int min_concurrency = 0;
  int max_concurrency = 0;
};

enum class ProgressMode {
  kAuto,   // live view on a terminal, periodic lines otherwise
  kLive,   // redraw one line per stage in place
  kLines,  // print plain lines every progress_interval
  kOff,
};

struct RunOptions {
  int64_t memory_budget = 1_GiB;
  // The budget of the whole process (a command's --memory), when the process is sluice's own: its
  // RSS is then judged against it, and past RssAllowance(process_budget) the run warns. 0 for a
  // pipeline inside a larger program, whose RSS says nothing about this run.
  int64_t process_budget = 0;
  // CPU pool size; 0 means the number of cores.
  int cpu_threads = 0;
  // Concurrent tasks allowed per named I/O resource across the whole pipeline. Resources not
  // named here get default_io_cap.
  std::map<std::string, int> resource_caps;
  int default_io_cap = 32;
  // Keep every stage's output in input order (bounded reorder buffers; sinks run one at a time).
  bool preserve_order = false;
  // Off: every stage runs at its max concurrency (pinned runs, benchmarks).
  bool autoscale = true;
  ProgressMode progress = ProgressMode::kOff;
  std::chrono::milliseconds progress_interval{1000};
  // Write the run report here at the end ("" for none): a self-contained HTML page when the path
  // ends in .html, else JSON (report_file.h).
  std::string report_path;
  // Called about once a second with the run so far (every stage's seconds, the memory series, the
  // verdict so far), from the run's ticker thread, and once more with the final report from the
  // thread that called Run. Must be quick: copy and return. The live page (--ui) reads it.
  std::function<void(const RunReport&)> on_report;
  // A task running longer than this (and 50x its stage's typical task) is reported as hung.
  std::chrono::milliseconds hung_task_after{std::chrono::seconds(60)};
  // Cancels the run (e.g. Ctrl-C) when cancelled.
  CancellationToken cancel;
};

}  // namespace sluice
