#include "sluice/base/error.h"

#include <cstring>

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

Error IoErrorFromErrno(int error_number, std::string_view operation, std::string_view path) {
  ErrorKind kind = error_number == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo;
  if (error_number == ENOSPC || error_number == EDQUOT) kind = ErrorKind::kResourceExhausted;
  return Error(kind, fmt::format("{} failed: {}", operation, std::strerror(error_number)))
      .With("file", std::string(path));
}

}  // namespace sluice
