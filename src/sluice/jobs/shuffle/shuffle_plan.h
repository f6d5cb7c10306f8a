// The stages of a shuffle job (shuffle_spec.h) as partitions: the map partitions listed at
// submit, the reduce partitions planned at the barrier from the committed map outputs' indexes,
// and the one gather partition. Every function is deterministic in its inputs, so every worker
// that plans a stage plans the same partitions (job_stages.h).
//
// Thread safety: pure functions (ReducePartitions reads the map indexes through the file system).
#pragma once

#include <string>
#include <vector>

#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/shuffle/map_output.h"
#include "sluice/jobs/shuffle/shuffle_spec.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice::shuffle {

inline constexpr char kSampleStage[] = "sample";
inline constexpr char kMapStage[] = "map";
inline constexpr char kReduceStage[] = "reduce";
inline constexpr char kGatherStage[] = "gather";

// A join's right side, as map partitions name it: {"files": [...], "side": "right"}.
inline constexpr char kRightSide[] = "right";

// Consecutive inputs of about spec.map_bytes each (at least one file per partition); the
// definition lists their paths: {"files": [...]}; then a join's right inputs likewise.
std::vector<ledger::PartitionSpec> MapPartitions(const ShuffleSpec& spec, int64_t max_attempts);

// Where a partition's committed output lies: <work_dir>/<encoded key>/<file>.
std::string CommittedFile(const ShuffleSpec& spec, std::string_view key, std::string_view file);

// The partitions the job starts with: the sample partition of a sort (not a top-N), the map
// partitions else.
std::vector<ledger::PartitionSpec> FirstStagePartitions(const ShuffleSpec& spec,
                                                        int64_t max_attempts);

// The job's stage plan (spec.Stages()): map partitions after a sort's sample; reduce partitions
// (ReduceTask, reduce_plan.h) coalesced from the summed slice bytes of every map index, within
// [spec.min_reducers, spec.partitions] tasks (one task over every slice for a top-N without
// groups), a join's skewed slices split; then one gather partition {"reducers": n}.
// Before planning a stage it publishes the outputs of the stage before (idempotent): the ledger
// marks a partition done before its worker renames or completes its output, so a planner or a
// reader could otherwise find committed output not there yet, or never if that worker died.
// `committer` (the work directory's) must outlive the plan.
jobs::StagePlan ShuffleStagePlan(const ShuffleSpec& spec, int64_t max_attempts,
                                 const jobs::OutputCommitter& committer);

}  // namespace sluice::shuffle
