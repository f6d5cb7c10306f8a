// Lost output: a done partition whose committed output (the files its manifest names,
// output_commit.h) is no longer all there, because a file of it was removed (or the whole output
// moved away) after the partition was done. The ledger still says done, so without this check a
// resume would report the job done without that output. Before a worker finishes a complete job
// it reopens such partitions (Ledger::ReopenPartition), so that the same command runs them again;
// `sluice status` counts them.
//
// Only local outputs are checked (a stat per file); an s3:// output is taken at its manifest's
// word. A committed attempt whose publish has not happened yet (its directory still under
// .sluice-attempts) is not lost: the output sweep publishes it. Staged jobs (job_stages.h) are
// skipped: their work directory goes when they are done.
//
// Thread safety: functions over a Ledger, which serializes its calls; the file system checks are
// reads. Several processes may reopen the same job's lost outputs at once: the ledger reopens a
// partition once, and only the process that reopened it clears what is left of its output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

struct LostOutput {
  std::string key;           // the partition's
  ledger::LeaseRef done_by;  // the attempt that completed it
  std::string output;        // its published output directory
  std::string missing;       // the first file of that output that is gone
};

// The done partitions of the job whose output is lost, in partition order.
std::vector<LostOutput> FindLostOutputs(ledger::Ledger& ledger, const ledger::JobRecord& job);

// Reopens each partition FindLostOutputs finds and removes what is left of its published output
// (the rerun publishes it whole), logging one line each: which file is missing and that the
// partition runs again. Returns how many partitions are pending again, whoever reopened them.
int64_t ReopenLostOutputs(ledger::Ledger& ledger, ledger::JobId job);

// Lost input: a task of a staged job (a shuffle's reduce) reads the committed output of other
// partitions of its job (map outputs) and finds some of it gone. It throws LostInputError naming
// those partitions (kind NotFound); the worker reopens them with ReopenLostInputs, so that they run
// again, and gives the task's lease back uncharged, claimable after a delay (worker.h): the task
// neither fails for good nor spins while its input is rebuilt (Spark's FetchFailed).
Error LostInputError(const std::vector<std::string>& keys, std::string_view missing);
// The partition keys a LostInputError names; none for any other error.
std::vector<std::string> LostInputKeys(const Error& error);
// For each key's partition: done, a local committed attempt not published yet (the ledger marks
// done before the worker publishes): published now; done and a file of its published output
// gone (OutputCommitter::MissingPublishedFile; on s3:// also an attempt whose publish has not
// happened yet, which reruns instead): reopened, and what is left of a local output removed;
// otherwise (being rerun already, or all there) nothing.
struct LostInputs {
  int64_t reopened = 0;  // by this call
  std::string failed;    // a key whose partition failed for good: its output will not come back
};
LostInputs ReopenLostInputs(ledger::Ledger& ledger, ledger::JobId job,
                            const OutputCommitter& committer, const std::vector<std::string>& keys,
                            std::string_view reason);

}  // namespace sluice::jobs
