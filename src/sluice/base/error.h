// sluice::Error: the one error model. Every failure a user can cause or meet (bad input, bad data,
// I/O, cancellation, lease conflicts) is thrown as an Error with a kind and ordered context
// (file, line, column, stage, item...). Broken invariants use SLUICE_CHECK instead (check.h).
//
// Thread safety: an Error is a value; distinct objects may be used from distinct threads.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

enum class ErrorKind {
  kInvalidArgument,    // the caller (user, flag, config) asked for something impossible
  kInvalidData,        // input data is malformed
  kIo,                 // the operating system or a remote service failed
  kNotFound,           // a named thing does not exist
  kNotSupported,       // valid input that sluice does not handle (yet)
  kResourceExhausted,  // memory, disk or a quota ran out
  kCancelled,          // Ctrl-C, or another part of the job failed first
  kConflict,           // a concurrent actor changed what we were about to change (leases)
  kInternal,           // a bug in sluice surfaced as an error rather than a crash
};

std::string_view ErrorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const { return kind_; }
  // The message without context.
  const std::string& message() const { return message_; }
  // Context entries in the order they were added, innermost first.
  const std::vector<std::pair<std::string, std::string>>& context() const { return context_; }
  // Returns the value of a context key, or "" when absent.
  std::string_view ContextValue(std::string_view key) const;

  // Adds context; an existing key keeps its first (innermost) value.
  Error& With(std::string key, std::string value) &;
  Error&& With(std::string key, std::string value) &&;

  // "invalid data: unterminated quote (file a.csv, line 3)".
  const char* what() const noexcept override { return full_.c_str(); }

 private:
  void Rebuild();

  ErrorKind kind_;
  std::string message_;
  std::vector<std::pair<std::string, std::string>> context_;
  std::string full_;
};

template <typename... Args>
Error MakeError(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  return Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

#define SLUICE_DEFINE_ERROR_FACTORY(Name, Kind)                                      \
  template <typename... Args>                                                        \
  Error Name(fmt::format_string<Args...> format, Args&&... args) {                   \
    return Error(ErrorKind::Kind, fmt::format(format, std::forward<Args>(args)...)); \
  }
SLUICE_DEFINE_ERROR_FACTORY(InvalidArgument, kInvalidArgument)
SLUICE_DEFINE_ERROR_FACTORY(InvalidData, kInvalidData)
SLUICE_DEFINE_ERROR_FACTORY(IoError, kIo)
SLUICE_DEFINE_ERROR_FACTORY(NotFound, kNotFound)
SLUICE_DEFINE_ERROR_FACTORY(NotSupported, kNotSupported)
SLUICE_DEFINE_ERROR_FACTORY(ResourceExhausted, kResourceExhausted)
SLUICE_DEFINE_ERROR_FACTORY(Cancelled, kCancelled)
SLUICE_DEFINE_ERROR_FACTORY(Conflict, kConflict)
SLUICE_DEFINE_ERROR_FACTORY(InternalError, kInternal)
#undef SLUICE_DEFINE_ERROR_FACTORY

// An Io error from errno, e.g. IoErrorFromErrno(errno, "open", path).
Error IoErrorFromErrno(int error_number, std::string_view operation, std::string_view path);

}  // namespace sluice
