// ChunkRun: one attempt at computing one chunk and running its steps (batched_step.h), as it moves
// through the compute pipeline. An attempt whose task output is already cached skips the task
// stages and runs only the steps it lacks. The
// worker task that claimed the chunk's ledger partition creates it, hands it to the pipeline
// through a ChunkQueue and waits; the pipeline's last stage finishes it (its output is in the
// cache) or any stage fails it (its error, with the chunk and stage as context, fails the
// attempt, which the ledger retries per the job's policy). Later stages drop a failed run's items.
//
// Ownership: shared by the waiting task and the items in flight. Thread safety: every method may
// be called from any thread. Its outcome is a flow/completion.h Completion: the first of Finish
// and Fail wins.
#pragma once

#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/flow/completion.h"
#include "sluice/flow/hand_off_queue.h"

namespace sluice::batch {

struct ChunkResult {
  int64_t rows = 0;
  bool has_file = false;
  int64_t bytes = 0;
  std::string schema;  // the output's Schema::ToString; empty without a file
};

class ChunkRun {
 public:
  ChunkRun(int chunk, int64_t attempt, std::string key,
           std::map<std::string, std::string, std::less<>> inputs, CancellationToken cancel,
           bool compute = true, std::vector<bool> steps = {})
      : chunk_(chunk),
        attempt_(attempt),
        key_(std::move(key)),
        inputs_(std::move(inputs)),
        cancel_(std::move(cancel)),
        compute_(compute),
        steps_(std::move(steps)) {}

  int chunk() const { return chunk_; }
  int64_t attempt() const { return attempt_; }
  const std::string& key() const { return key_; }
  // Input name -> the chunk's split file of that input.
  const std::map<std::string, std::string, std::less<>>& inputs() const { return inputs_; }
  // Fires when the attempt's lease is lost or the job stops.
  const CancellationToken& cancel() const { return cancel_; }
  // False when the task's output is already in the cache: only steps run.
  bool compute() const { return compute_; }
  // Per step of the job, whether this attempt runs it (false: its cache entry exists).
  bool runs_step(size_t step) const { return step < steps_.size() && steps_[step]; }

  void Finish(ChunkResult result) { outcome_.Succeed(std::move(result)); }
  // The first failure wins, unless the run finished first; wakes the waiter.
  void Fail(std::exception_ptr error) { outcome_.Fail(std::move(error)); }
  bool failed() const { return outcome_.failed(); }
  // Blocks until finished (returns the result) or failed (rethrows), or cancel fired (Cancelled).
  ChunkResult Wait(const CancellationToken& cancel) { return outcome_.Wait(cancel); }

 private:
  const int chunk_;
  const int64_t attempt_;
  const std::string key_;
  const std::map<std::string, std::string, std::less<>> inputs_;
  const CancellationToken cancel_;
  const bool compute_;
  const std::vector<bool> steps_;
  Completion<ChunkResult> outcome_;
};

using ChunkRunPtr = std::shared_ptr<ChunkRun>;

// Hands runs from worker tasks to the pipeline's source; the job closes it when the worker stops.
using ChunkQueue = HandOffQueue<ChunkRunPtr>;

// Hands a run to the pipeline; once the pipeline has stopped (the queue is closed) the run fails
// at once.
void HandOver(ChunkQueue& queue, const ChunkRunPtr& run);

// Fails the run with the exception being handled, naming the chunk and stage.
void FailRun(const ChunkRunPtr& run, const char* stage);

}  // namespace sluice::batch
