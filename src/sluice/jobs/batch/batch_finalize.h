// The finalize step of a batched job (batched_step.h): run once per change of the chunk set,
// after the manifest is written. Its key covers its name and version, every chunk's key and
// every step's key; <out>/.sluice/finalized.json records the key of the last finalize that
// succeeded, so a run whose key matches skips it, and a run after a failed (or killed) finalize
// runs it again even when every chunk is a hit.
//
// Thread safety: call from one thread; plain functions of their arguments.
#pragma once

#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/jobs/batch/batched_job.h"

namespace sluice::batch {

struct FinalizeRequest {
  const FinalizeTask* task = nullptr;
  const FinalizeOptions* options = nullptr;
  std::string out;                                  // the output directory or s3:// prefix
  std::vector<std::string> chunk_keys;              // per chunk
  std::vector<std::vector<std::string>> step_keys;  // [chunk][step]
  std::vector<std::string> files;                   // the published chunk files, relative to out
  CancellationToken cancel;
};

std::string FinalizeKey(const FinalizeRequest& request);

// Runs finalize unless the recorded key matches, with retries and backoff; records the key on
// success. A failure for good is returned in the outcome (status "failed"), not thrown; an
// unreadable or unwritable record is thrown.
FinalizeOutcome FinalizeIfChanged(const FinalizeRequest& request);

}  // namespace sluice::batch
