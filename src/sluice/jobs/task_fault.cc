#include "sluice/jobs/task_fault.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "sluice/base/system_failure.h"

namespace sluice::jobs {
namespace {

// Whether the file the error names lies outside the attempt's output directory: then it is one
// of the partition's own files (an input), not a place every partition writes to.
bool NamesAFileOfItsOwn(const Error& error, const std::filesystem::path& output_dir) {
  const std::string_view file = error.ContextValue("file");
  if (file.empty()) return false;
  if (output_dir.empty()) return true;
  std::filesystem::path dir = std::filesystem::absolute(output_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // a trailing separator
  const std::filesystem::path inside = std::filesystem::absolute(std::filesystem::path(file))
                                           .lexically_normal()
                                           .lexically_relative(dir);
  return inside.empty() || *inside.begin() == "..";
}

}  // namespace

bool IsDiskFull(const Error& error) {
  if (SystemFailureOf(error) == SystemFailure::kNoSpace) return true;
  if (error.kind() != ErrorKind::kResourceExhausted) return false;
  const std::string& message = error.message();
  return message.find(std::strerror(ENOSPC)) != std::string::npos ||
         message.find(std::strerror(EDQUOT)) != std::string::npos;
}

TaskFaultAction TaskFaultActionFor(const Error& error, int64_t attempt,
                                   const std::filesystem::path& output_dir) {
  if (IsDiskFull(error)) return TaskFaultAction::kStopWorker;
  switch (SystemFailureOf(error)) {
    case SystemFailure::kReadOnly:
      return TaskFaultAction::kStopWorker;
    case SystemFailure::kDevice:
      if (attempt <= 1) return TaskFaultAction::kRetry;
      [[fallthrough]];
    case SystemFailure::kNoAccess:
      return NamesAFileOfItsOwn(error, output_dir) ? TaskFaultAction::kFailPermanently
                                                   : TaskFaultAction::kStopWorker;
    case SystemFailure::kNoSpace:
      return TaskFaultAction::kStopWorker;
    case SystemFailure::kOther:
      return TaskFaultAction::kRetry;
  }
  return TaskFaultAction::kRetry;
}

}  // namespace sluice::jobs
