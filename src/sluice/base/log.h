// Logging to stderr with levels. Lines look like "12:00:01.234 W message". A live terminal view
// (flow/progress) installs a sink so log lines are printed above the view instead of through it.
//
// Thread safety: all functions may be called from any thread; each line is written whole.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error", "off"; throws InvalidArgument otherwise.
LogLevel ParseLogLevel(std::string_view text);

// Replaces where finished lines go (default: stderr). An empty function restores the default.
void SetLogSink(std::function<void(std::string_view line)> sink);

void LogLine(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, fmt::format(format, std::forward<Args>(args)...));
}

#define SLUICE_LOG_DEBUG(...) ::sluice::Log(::sluice::LogLevel::kDebug, __VA_ARGS__)
#define SLUICE_LOG_INFO(...) ::sluice::Log(::sluice::LogLevel::kInfo, __VA_ARGS__)
#define SLUICE_LOG_WARN(...) ::sluice::Log(::sluice::LogLevel::kWarn, __VA_ARGS__)
#define SLUICE_LOG_ERROR(...) ::sluice::Log(::sluice::LogLevel::kError, __VA_ARGS__)

}  // namespace sluice
