// Stages of a ledger job: a job whose work is a short chain of stages (a shuffle's map, reduce
// and gather), each a set of partitions of the one ledger job. A partition's key names its stage,
// "<stage>/<rest>" ("map/00003"). The first stage's partitions are added when the job is created;
// each later stage's are planned from the partitions already done (their definitions and
// manifests, e.g. the measured sizes of map outputs) once every partition of the stage before is
// done. Whichever worker runs out of partitions to claim advances the job (AdvanceStages from the
// worker's idle hook, worker.h), so no process is special: racing workers plan the same partitions
// from the same done ones, and the ledger adds a key once. After the last stage the job is sealed,
// and then it completes as any job does. A stage with a failed partition seals the job at once:
// later stages have nothing whole to read, and the job fails with that partition's error.
//
// Thread safety: StagePlan is immutable once built; AdvanceStages is safe to call from any number
// of threads and processes at once (see above).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

class OutputCommitter;

struct StagePlan {
  // The stages in order; the first one's partitions come with the job.
  std::vector<std::string> stages;
  // The partitions of stages[stage] (stage >= 1), planned from every partition of the job, all
  // done. Keys must start with "<stages[stage]>/" and be the same whichever process plans them.
  // An empty result skips the stage.
  std::function<std::vector<ledger::PartitionSpec>(
      size_t stage, const std::vector<ledger::PartitionRecord>& done)>
      plan;
};

// "map" for "map/00003"; the whole key when it has no '/'.
std::string_view StageOfKey(std::string_view key);

// "<stage>/<number, zero-padded to five digits>".
std::string StageKey(std::string_view stage, int64_t number);

// The stages a job's stored options name ("stages": [...], which a staged job's spec writes for
// sluice status), in order; none for a job that is not staged.
std::vector<std::string> StoredStageNames(const ledger::JobRecord& job);

// Every partition of the job, in id order (paged reads).
std::vector<ledger::PartitionRecord> AllPartitions(ledger::Ledger& ledger, ledger::JobId job);

// Failed partitions of the job back to pending (Ledger::RequeueFailed), for `sluice retry`. A
// staged job is unsealed too: its failed partition sealed it before the stages after it were
// planned, so the requeued partitions alone would complete it with nothing written; unsealed, its
// later stages are planned as its stages finish. Returns how many were requeued.
int64_t RequeueFailedPartitions(ledger::Ledger& ledger, const ledger::JobRecord& job);

// "<key>: <error>" of the job's failed partitions.
std::vector<std::string> FailedPartitionErrors(ledger::Ledger& ledger, ledger::JobId job);

// Publishes the done partitions of `stage` among `all` that are not published yet (a rename or an
// upload completion; nothing for those already published). A planner calls it before reading the
// stage's outputs: the ledger marks a partition done before its worker publishes its output, so
// a reader could otherwise find it not there yet, or never if that worker died. LostInputError
// (lost_output.h) naming those whose output is gone, neither in their attempt's directory nor
// published: the caller reopens them.
void PublishStage(const OutputCommitter& committer, const std::vector<ledger::PartitionRecord>& all,
                  std::string_view stage);

// When every partition of the job is done and it is not sealed: adds the next stage's partitions,
// or seals the job after its last stage (or a failed partition). True when it changed anything.
// InvalidArgument for a partition of a stage the plan does not name.
bool AdvanceStages(ledger::Ledger& ledger, ledger::JobId job, const StagePlan& plan);

}  // namespace sluice::jobs
