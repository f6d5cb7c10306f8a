#include "sluice/base/error.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "sluice/base/system_failure.h"

namespace sluice {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kInvalidData:
      return "invalid data";
    case ErrorKind::kIo:
      return "i/o error";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kNotSupported:
      return "not supported";
    case ErrorKind::kResourceExhausted:
      return "resource exhausted";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "unknown error";
}

Error::Error(ErrorKind kind, std::string message)
    : std::runtime_error(""), kind_(kind), message_(std::move(message)) {
  Rebuild();
}

std::string_view Error::ContextValue(std::string_view key) const {
  for (const auto& [k, v] : context_) {
    if (k == key) return v;
  }
  return {};
}

Error& Error::With(std::string key, std::string value) & {
  if (ContextValue(key).empty()) {
    context_.emplace_back(std::move(key), std::move(value));
    Rebuild();
  }
  return *this;
}

Error&& Error::With(std::string key, std::string value) && {
  With(std::move(key), std::move(value));
  return std::move(*this);
}

void Error::Rebuild() {
  full_ = fmt::format("{}: {}", ErrorKindName(kind_), message_);
  if (context_.empty()) return;
  full_ += " (";
  for (size_t i = 0; i < context_.size(); ++i) {
    if (i > 0) full_ += ", ";
    full_ += context_[i].first;
    full_ += ' ';
    full_ += context_[i].second;
  }
  full_ += ')';
}

namespace {

// What a user can do about a failure of the file system, or "" when the message says enough.
std::string_view WhatToDoAbout(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return "free space on that file system and run the command again";
    case EROFS:
      return "that file system is mounted read-only: remount it read-write or choose another "
             "path, and run the command again";
    case EACCES:
    case EPERM:
      return "give this user access to that file and its directory (or choose another path) "
             "and run the command again";
    case EIO:
      return "the device reported an I/O error: check the disk (dmesg, smartctl) and run the "
             "command again";
    default:
      return "";
  }
}

}  // namespace

Error IoErrorFromErrno(int error_number, std::string_view operation, std::string_view path) {
  ErrorKind kind = error_number == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo;
  if (error_number == ENOSPC || error_number == EDQUOT) kind = ErrorKind::kResourceExhausted;
  Error error(kind, fmt::format("{} failed: {}", operation, std::strerror(error_number)));
  error.With("file", std::string(path));
  // Later context (the stage, the partition) comes after this, but an outer "what to do" of the
  // same words is dropped: With keeps the innermost value of a key.
  if (std::string_view what = WhatToDoAbout(error_number); !what.empty()) {
    error.With("what to do", std::string(what));
  }
  return error;
}

SystemFailure SystemFailureOf(const Error& error) {
  const std::string_view advice = error.ContextValue("what to do");
  if (advice.empty()) return SystemFailure::kOther;
  // One errno of each advice: EDQUOT reads as ENOSPC, EPERM as EACCES.
  constexpr std::pair<int, SystemFailure> kFailures[] = {{ENOSPC, SystemFailure::kNoSpace},
                                                         {EACCES, SystemFailure::kNoAccess},
                                                         {EROFS, SystemFailure::kReadOnly},
                                                         {EIO, SystemFailure::kDevice}};
  for (const auto& [error_number, failure] : kFailures) {
    if (advice == WhatToDoAbout(error_number)) return failure;
  }
  return SystemFailure::kOther;
}

}  // namespace sluice
