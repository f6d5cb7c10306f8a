// StepLog: what the steps after a batched task (batched_step.h) did this run, per chunk and step:
// the attempts made and the last error, for the report. The pipeline's step stages write it; the
// job reads it once the compute phase is over.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace sluice::batch {

struct StepRecord {
  int64_t attempts = 0;
  bool succeeded = false;
  std::string error;  // the last failed attempt's
};

class StepLog {
 public:
  void Attempted(int chunk, size_t step, bool succeeded, std::string error = {});
  std::optional<StepRecord> Find(int chunk, size_t step) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<int, size_t>, StepRecord> records_;  // guarded by mu_
};

}  // namespace sluice::batch
