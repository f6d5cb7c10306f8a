#include "sluice/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "sluice/base/error.h"

namespace sluice {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

struct SinkState {
  std::mutex mu;
  std::function<void(std::string_view)> sink;  // guarded by mu
};

SinkState& Sink() {
  static SinkState* state = new SinkState;  // never destroyed: logging may happen at exit
  return *state;
}

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarn:
      return 'W';
    default:
      return 'E';
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

LogLevel ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  if (text == "off") return LogLevel::kOff;
  throw InvalidArgument("unknown log level '{}' (use debug, info, warn, error or off)", text);
}

void SetLogSink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(Sink().mu);
  Sink().sink = std::move(sink);
}

void LogLine(LogLevel level, std::string_view message) {
  if (level < GetLogLevel()) return;
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  std::string line = fmt::format("{:02}:{:02}:{:02}.{:03} {} {}\n", local.tm_hour, local.tm_min,
                                 local.tm_sec, millis, LevelLetter(level), message);
  SinkState& state = Sink();
  std::lock_guard lock(state.mu);
  if (state.sink) {
    state.sink(line);
  } else {
    [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  }
}

}  // namespace sluice
