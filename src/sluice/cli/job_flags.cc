#include "sluice/cli/job_flags.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"

namespace sluice::cli {

void JobFlags::Add(CLI::App& command, const std::string& default_memory) {
  memory = default_memory;
  command
      .add_option("--memory", memory, "Memory budget for everything in flight, e.g. 256MiB, 4GiB")
      ->capture_default_str();
  command.add_option("--threads", threads, "CPU threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--report", report,
                     "Write a JSON report (per-stage, per-second metrics and the verdict) here");
  command
      .add_option("--progress", progress,
                  "Progress view: auto (live on a terminal, lines otherwise), live, lines, off")
      ->check(CLI::IsMember({"auto", "live", "lines", "off"}))
      ->capture_default_str();
  command.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->capture_default_str();
}

RunOptions JobFlags::ToRunOptions(const CancellationToken& cancel) const {
  RunOptions options;
  try {
    options.memory_budget = ParseBytes(memory);
  } catch (Error& e) {
    throw std::move(e).With("flag", "--memory");
  }
  if (options.memory_budget < 64_KiB) {
    throw InvalidArgument("--memory {} is too small; give at least 64KiB", memory);
  }
  options.cpu_threads = threads;
  options.report_path = report;
  if (!report.empty()) {
    // Fail before the job runs, not after, when the report cannot be written.
    const std::string dir = std::filesystem::path(report).parent_path().string();
    if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0) {
      throw IoErrorFromErrno(errno, "open the report's directory", dir.empty() ? "." : dir)
          .With("flag", "--report");
    }
  }
  if (progress == "live") {
    options.progress = ProgressMode::kLive;
  } else if (progress == "lines") {
    options.progress = ProgressMode::kLines;
    options.progress_interval = std::chrono::seconds(1);
  } else if (progress == "off") {
    options.progress = ProgressMode::kOff;
  } else if (::isatty(STDERR_FILENO)) {
    options.progress = ProgressMode::kLive;
  } else {
    options.progress = ProgressMode::kLines;
    options.progress_interval = std::chrono::seconds(1);
  }
  SetLogLevel(ParseLogLevel(log_level));
  options.cancel = cancel;
  return options;
}

}  // namespace sluice::cli
