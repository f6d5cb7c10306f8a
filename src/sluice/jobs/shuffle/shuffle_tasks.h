// The tasks of a shuffle job's three stages (shuffle_spec.h), run by `sluice worker` for each
// partition it claims: map (inputs to a sliced map output), reduce (the operator over a range of
// slices of every committed map output, into one part) and gather (the parts, in order, into the
// output file). Map and reduce write into the attempt's private directory; the output commit
// publishes it once the ledger accepted the attempt.
//
// Memory: `run` is this task's share of the worker's budget and threads. A map task buffers at
// most a quarter of it before writing slices; a reduce task runs the operator inside it (spilling
// as the single-process command does); the gather streams row group by row group.
//
// Thread safety: each call is independent; tasks of one job run at once on distinct threads.
#pragma once

#include "sluice/flow/options.h"
#include "sluice/jobs/shuffle/shuffle_spec.h"
#include "sluice/jobs/worker.h"

namespace sluice::shuffle {

// The task of the partition's stage. Throws to fail the attempt (the worker retries it).
void RunShuffleTask(const ShuffleSpec& spec, const jobs::TaskContext& context, RunOptions run);

// The file a reduce task writes into its attempt's directory.
inline constexpr char kPartFile[] = "part.parquet";

}  // namespace sluice::shuffle
