#include "sluice/public/public_error.h"

#include <filesystem>
#include <new>
#include <string>

#include "sluice/base/error.h"
#include "sluice/error.h"

namespace sluice::api {
namespace {

ErrorCode CodeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return ErrorCode::kInvalidArgument;
    case ErrorKind::kInvalidData:
      return ErrorCode::kInvalidData;
    case ErrorKind::kIo:
      return ErrorCode::kIo;
    case ErrorKind::kNotFound:
      return ErrorCode::kNotFound;
    case ErrorKind::kNotSupported:
      return ErrorCode::kNotSupported;
    case ErrorKind::kResourceExhausted:
      return ErrorCode::kResourceExhausted;
    case ErrorKind::kCancelled:
      return ErrorCode::kCancelled;
    case ErrorKind::kConflict:
      return ErrorCode::kConflict;
    case ErrorKind::kInternal:
      return ErrorCode::kInternal;
  }
  return ErrorCode::kInternal;  // not reached: the switch names every kind (-Wswitch)
}

}  // namespace

void RethrowAsPublicError(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const api::Error&) {
    throw;
  } catch (const sluice::Error& e) {
    throw api::Error(CodeOf(e.kind()), e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    // A file system call outside the error model: its message names the operation and paths.
    throw api::Error(ErrorCode::kIo, e.what());
  } catch (const std::bad_alloc&) {
    throw api::Error(ErrorCode::kResourceExhausted, "out of memory");
  } catch (const std::exception& e) {
    throw api::Error(ErrorCode::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    throw api::Error(ErrorCode::kInternal, "internal error: an exception of unknown type");
  }
}

}  // namespace sluice::api
