// sluice::api::Error, the one exception every call of the public library throws. Its message is
// the one sluice prints for the same failure, e.g. "not found: no files match 'in/*.parquet'" or
// "invalid data: unterminated quote (file a.csv, line 3)"; its code says what kind of failure it
// is, for a caller that reacts to some kinds (retry on kIo, report kInvalidArgument to a user).
//
// Thread safety: an immutable value; copies may be read from any thread.
#pragma once

#include <stdexcept>
#include <string>

namespace sluice::api {

enum class ErrorCode {
  kInvalidArgument,    // the request asks for something impossible (bad option, bad expression)
  kInvalidData,        // an input file is malformed
  kIo,                 // the operating system or a remote service failed
  kNotFound,           // a named file or column does not exist
  kNotSupported,       // valid input that sluice does not handle (yet)
  kResourceExhausted,  // memory, disk or a quota ran out
  kCancelled,          // the run was cancelled
  kConflict,           // a concurrent actor changed what the call was about to change
  kInternal,           // a bug in sluice
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace sluice::api
