// The stages of a bloom job across hosts (bloom_spec.h) as partitions, and the tasks `sluice
// worker` runs for them: partial (a few input files into a partial filter of the job's size, the
// one-process job's code paths) and merge (every committed partial ORed into the output, which
// appears whole or not at all: the file system's commit). Planning is deterministic in its
// inputs, so every worker that plans the merge stage plans the same partition (job_stages.h).
//
// Memory: a partial task runs the one-process job inside its share of the worker's budget; the
// merge holds the merged filter and one partial (and that partial's file bytes) at a time.
//
// Thread safety: pure functions and independent tasks; tasks of one job run at once on distinct
// threads.
#pragma once

#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/jobs/bloom/bloom_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/worker.h"

namespace sluice {

// The file a partial task writes into its attempt's directory.
inline constexpr char kPartialFile[] = "partial.bloom";

// Consecutive inputs of about spec.partial_bytes each (at least one file per partition); the
// definition lists their paths: {"files": [...]}.
std::vector<ledger::PartitionSpec> PartialPartitions(const BloomSpec& spec, int64_t max_attempts);

// The partial stage, then one merge partition {"partials": n}, planned after publishing every
// done partial (job_stages.h, PublishStage). `committer` (the work directory's) must outlive it.
jobs::StagePlan BloomStagePlan(int64_t max_attempts, const jobs::OutputCommitter& committer);

// The task of the partition's stage; `run` is this task's share of the worker. Throws to fail
// the attempt.
void RunBloomTask(const BloomSpec& spec, const jobs::TaskContext& context, const RunOptions& run);

}  // namespace sluice
