// A group-by or distinct as a ledger job across hosts (shuffle_spec.h): SubmitShuffle defines it
// in the ledger (`sluice groupby|distinct --submit`), JoinShuffle works on it until it is complete
// (`sluice worker --job NAME` on any host that reaches the ledger and the job's files or URLs).
//
// Thread safety: each call is independent and opens its own ledger connections.
#pragma once

#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/shuffle/shuffle_spec.h"
#include "sluice/jobs/staged_worker.h"
#include "sluice/jobs/worker.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice::shuffle {

// Attempts each partition of a shuffle job gets.
inline constexpr int64_t kShuffleAttempts = 3;

// The Parquet files the patterns name (paths, globs, directories, s3:// URLs) into
// spec.inputs and spec.input_bytes, in order. NotFound for a pattern without matches,
// NotSupported naming a CSV input (a shuffle job reads Parquet).
void ResolveShuffleInputs(const std::vector<std::string>& patterns, ShuffleSpec& spec);
// The same into `paths` and `bytes` (a join's right side).
void ResolveShuffleFiles(const std::vector<std::string>& patterns, std::vector<std::string>& paths,
                         std::vector<int64_t>& bytes);

struct SubmittedShuffle {
  std::string job_name;
  int64_t map_partitions = 0;
  bool resumed = false;  // the same job existed: it is taken up, not created again
};

// Creates the job (kind and version stamped, job_spec.h) with its map partitions, or takes up the
// job of the same work. InvalidArgument when a job of that name holds other work, and for a join
// whose key columns differ in type between the sides (rows meet by a hash of the stored values).
SubmittedShuffle SubmitShuffle(const std::string& ledger_url, const ShuffleSpec& spec);

// What this worker did (stats), how the job stands and its failed partitions' errors, and the
// job's spec.
struct JoinedShuffle : jobs::StagedWorkerResult {
  ShuffleSpec spec;
};

// Works on the job until it is complete: claims its partitions, plans its next stage when this
// worker is the one to find the last one done, and removes the work directory once the job is
// done. worker.output_root is set here (the spec's work directory); `run` is the whole worker's
// budget, shared evenly by its slots. NotFound for an unknown job; InvalidArgument when it is not
// a shuffle job or another sluice version created it.
JoinedShuffle JoinShuffle(const std::string& ledger_url, const std::string& job_name,
                          jobs::WorkerOptions worker, const RunOptions& run);

}  // namespace sluice::shuffle
