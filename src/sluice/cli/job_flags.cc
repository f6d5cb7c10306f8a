#include "sluice/cli/job_flags.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/base/memory_limit.h"
#include "sluice/cli/live_ui.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::cli {

int64_t ParseMemoryBudget(const std::string& text, int64_t limit_bytes) {
  std::string_view s = text;
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty() || s.back() != '%') return ParseBytes(text);
  s.remove_suffix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double percent = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), percent);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !(percent > 0) ||
      percent > 100) {
    throw InvalidArgument(
        "cannot parse '{}': a percentage of the memory this process may use is above 0% and at "
        "most 100% (e.g. 50%)",
        text);
  }
  return static_cast<int64_t>(std::llround(static_cast<double>(limit_bytes) * percent / 100));
}

std::vector<std::pair<std::string, int64_t>> ParseLimitFlags(const std::vector<std::string>& flags,
                                                             std::string_view form) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const std::string& flag : flags) {
    const size_t eq = flag.find('=');
    int64_t n = 0;
    const char* end = flag.data() + flag.size();
    if (eq == std::string::npos || eq + 1 == flag.size() ||
        std::from_chars(flag.data() + eq + 1, end, n).ptr != end) {
      throw InvalidArgument("--limit takes {}, not '{}'", form, flag).With("flag", "--limit");
    }
    out.emplace_back(flag.substr(0, eq), n);
  }
  return out;
}

bool IsUiAddress(std::string_view word) {
  const size_t colon = word.rfind(':');
  return colon != std::string_view::npos && colon + 1 < word.size() && word.size() - colon <= 6 &&
         word.find_first_not_of("0123456789", colon + 1) == std::string_view::npos;
}

std::vector<std::string> LeaveNonAddressAfterUi(std::vector<std::string> args) {
  for (size_t i = 0; i + 1 < args.size() && args[i] != "--"; ++i) {
    const std::string& next = args[i + 1];
    if (args[i] == "--ui" && !next.starts_with('-') && !IsUiAddress(next)) {
      args[i] = "--ui=" + std::string(kDefaultUiAddress);
    }
  }
  return args;
}

CLI::Option* AddUiOption(CLI::App& command, std::string& address, const std::string& what) {
  const CLI::Validator host_port(
      [](std::string& value) -> std::string {
        if (IsUiAddress(value)) return {};
        return fmt::format("'{}' is not HOST:PORT or :PORT; write --ui=HOST:PORT", value);
      },
      "");  // the type name says it
  return command
      .add_option("--ui", address,
                  what + " at HOST:PORT (--ui alone: " + std::string(kDefaultUiAddress) +
                      "; an address beyond loopback only when named)")
      ->expected(0, 1)
      ->type_name("[HOST:PORT]")
      ->default_str(kDefaultUiAddress)
      ->check(host_port);
}

int64_t S3MemoryShare(int64_t budget) {
  return std::min(std::clamp<int64_t>(budget / 8, 8_MiB, 256_MiB), budget / 4);
}

namespace {

// --limit s3=N: the S3 requests in flight are the one resource a single process limits; `sluice
// run` has ledger-wide resources of any name.
int S3RequestLimit(const std::vector<std::string>& limits) {
  constexpr std::string_view kForm = "s3=N (S3 requests in flight, N >= 1)";
  int requests = fs::S3ProcessOptions().max_requests;
  const auto parsed = ParseLimitFlags(limits, kForm);
  for (size_t i = 0; i < parsed.size(); ++i) {
    const auto& [name, n] = parsed[i];
    if (name != "s3" || n < 1 || n > std::numeric_limits<int>::max()) {
      throw InvalidArgument("--limit takes {}, not '{}'", kForm, limits[i]).With("flag", "--limit");
    }
    requests = static_cast<int>(n);
  }
  return requests;
}

void ConfigureS3(const std::vector<std::string>& limits, const std::vector<std::string>& paths,
                 int64_t& memory_budget) {
  const int requests = S3RequestLimit(limits);
  if (std::none_of(paths.begin(), paths.end(), [](auto& p) { return fs::IsS3Url(p); })) return;
  fs::S3ProcessOptions s3;
  s3.max_requests = requests;
  s3.memory_bytes = S3MemoryShare(memory_budget);
  memory_budget -= s3.memory_bytes;
  fs::ConfigureProcessS3(s3);
}

}  // namespace

void JobFlags::Add(CLI::App& command, int64_t at_most) {
  const MemoryLimit& limit = ProcessMemoryLimit();
  default_memory = DefaultMemoryBudget(limit.bytes);
  std::string default_text =
      fmt::format("{}% of that less 64 MiB; here {}, from {}", kDefaultBudgetPercent,
                  FormatBytes(default_memory), limit.Describe());
  if (at_most > 0 && at_most < default_memory) {
    default_memory = at_most;
    default_text = fmt::format("{}, or {}% of that less 64 MiB when smaller", FormatBytes(at_most),
                               kDefaultBudgetPercent);
  }
  memory.clear();
  command.add_option("--memory", memory,
                     "Memory budget for everything in flight: a size (256MiB, 4GiB) or a "
                     "percentage (80%) of the memory this process may use, its cgroup's limit or "
                     "else physical memory (default: " +
                         default_text + ")");
  command.add_option("--threads", threads, "CPU threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--report", report,
                     "Write a report of the run here (per-stage, per-second metrics and the "
                     "verdict): a self-contained HTML page with charts when the name ends in "
                     ".html, else JSON");
  AddUiOption(command, ui, "Serve the report's page live while the job runs");
  command.add_flag("--ui-linger", ui_linger,
                   "With --ui: keep serving the finished run's page until Ctrl-C");
  command
      .add_option("--progress", progress,
                  "Progress view: auto (live on a terminal, lines otherwise), live, lines, off")
      ->check(CLI::IsMember({"auto", "live", "lines", "off"}))
      ->capture_default_str();
  command.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->capture_default_str();
  command.add_option("--limit", limits,
                     "s3=N: S3 requests in flight at most (default 64); S3 transfers hold an "
                     "eighth of --memory (8 to 256 MiB)");
}

RunOptions JobFlags::ToRunOptions(const CancellationToken& cancel,
                                  const std::vector<std::string>& paths) const {
  SetLogLevel(ParseLogLevel(log_level));
  RunOptions options;
  const MemoryLimit& limit = ProcessMemoryLimit();
  if (memory.empty()) {
    options.memory_budget = default_memory > 0 ? default_memory : DefaultMemoryBudget(limit.bytes);
    SLUICE_LOG_DEBUG("memory budget {}: {}% of {} less 64 MiB", FormatBytes(options.memory_budget),
                     kDefaultBudgetPercent, limit.Describe());
  } else {
    try {
      options.memory_budget = ParseMemoryBudget(memory, limit.bytes);
    } catch (Error& e) {
      throw std::move(e).With("flag", "--memory");
    }
    if (options.memory_budget > limit.bytes) {
      SLUICE_LOG_WARN(
          "--memory {} is more than the {} this process may use ({}): the run may be killed "
          "before it spills",
          memory, FormatBytes(limit.bytes), limit.Describe());
    }
  }
  if (options.memory_budget < 64_KiB) {
    throw InvalidArgument("--memory {} is too small; give at least 64KiB", memory);
  }
  // The budget covers the whole process: its RSS is judged against it.
  options.process_budget = options.memory_budget;
  ConfigureS3(limits, paths, options.memory_budget);
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
  options.cancel = cancel;
  if (!ui.empty()) {
    if (!live_ui_) {
      live_ui_ = std::make_shared<LiveUi>(ui, ui_linger, cancel);
      fmt::print(stderr, "ui: the live report is at {}\n", live_ui_->url());
    }
    options.on_report = [ui = live_ui_](const RunReport& report) { ui->Publish(report); };
  } else if (ui_linger) {
    throw InvalidArgument("--ui-linger needs --ui");
  }
  return options;
}

}  // namespace sluice::cli
