// A bloom filter built as a ledger job across hosts (bloom_spec.h): SubmitBloom defines it in the
// ledger (`sluice bloom --submit`), JoinBloom works on it until it is complete (`sluice worker
// --job NAME` on any host that reaches the ledger and the job's files or URLs).
//
// Thread safety: each call is independent and opens its own ledger connections.
#pragma once

#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/bloom/bloom_spec.h"
#include "sluice/jobs/staged_worker.h"
#include "sluice/jobs/worker.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice {

// Attempts each partition of a bloom job gets.
inline constexpr int64_t kBloomAttempts = 3;

// The files the patterns name (paths, globs, directories, s3:// URLs) into spec.inputs and
// spec.input_bytes, in order. NotFound for a pattern without matches.
void ResolveBloomInputs(const std::vector<std::string>& patterns, BloomSpec& spec);

// Fixes the filter's size in the spec as the one-process job would choose it (SizeBloomFilter:
// spec.expected_items when given, else estimated or counted over the resolved inputs, which may
// read them here). Returns the note for the user.
std::string SizeBloomSpec(BloomSpec& spec, BloomSizing sizing, const RunOptions& run);

struct SubmittedBloom {
  std::string job_name;
  int64_t partials = 0;  // partial partitions listed
  bool resumed = false;  // the same job existed: it is taken up, not created again
};

// Creates the job (kind and version stamped, job_spec.h) with its partial partitions, or takes up
// the job of the same work. InvalidArgument without inputs or a size, and when a job of that name
// holds other work.
SubmittedBloom SubmitBloom(const std::string& ledger_url, const BloomSpec& spec);

// What this worker did (stats), how the job stands and its failed partitions' errors, and the
// job's spec.
struct JoinedBloom : jobs::StagedWorkerResult {
  BloomSpec spec;
};

// Works on the job until it is complete: claims its partitions, plans the merge when this worker
// is the one to find the last partial done, and removes the work directory once the job is done.
// worker.output_root is set here (the spec's work directory); `run` is the whole worker's budget,
// shared evenly by its slots. NotFound for an unknown job; InvalidArgument when it is not a bloom
// job or another sluice version created it.
JoinedBloom JoinBloom(const std::string& ledger_url, const std::string& job_name,
                      jobs::WorkerOptions worker, const RunOptions& run);

}  // namespace sluice
