// SystemFailure: which failure of the system an Error made by IoErrorFromErrno (error.h) stands
// for, where what the user must do differs: a full disk, no access, a read-only file system, a
// device error. Read back from the advice IoErrorFromErrno attached, so code that decides what to
// do next (the worker: retry an attempt or stop, jobs/worker.cc) needs no errno of its own and
// never matches words of a message (a failed command's output may hold the same words).
//
// Thread safety: a pure function.
#pragma once

#include "sluice/base/error.h"

namespace sluice {

enum class SystemFailure {
  kOther,     // not made by IoErrorFromErrno, or an errno without advice
  kNoSpace,   // ENOSPC, EDQUOT
  kNoAccess,  // EACCES, EPERM
  kReadOnly,  // EROFS
  kDevice,    // EIO
};

SystemFailure SystemFailureOf(const Error& error);

}  // namespace sluice
