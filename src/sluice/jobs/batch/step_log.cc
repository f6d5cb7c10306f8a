#include "sluice/jobs/batch/step_log.h"

namespace sluice::batch {

void StepLog::Attempted(int chunk, size_t step, bool succeeded, std::string error) {
  std::lock_guard lock(mu_);
  StepRecord& r = records_[{chunk, step}];
  ++r.attempts;
  r.succeeded = r.succeeded || succeeded;
  if (!succeeded) r.error = std::move(error);
}

std::optional<StepRecord> StepLog::Find(int chunk, size_t step) const {
  std::lock_guard lock(mu_);
  auto it = records_.find({chunk, step});
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sluice::batch
