#include "sluice/cli/retry_command.h"

#include <fmt/format.h>

#include <memory>

#include "sluice/base/error.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/batch/batch_join.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {

std::function<int()> AddRetryCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("retry", "Requeue a job's failed partitions.");
  struct Flags {
    std::string job;
    LedgerFlags ledger;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("job", flags->job, "Job name")->required();
  flags->ledger.Add(*command);
  return [flags] {
    auto ledger = ledger::OpenLedger(flags->ledger.Url());
    const ledger::JobRecord job = jobs::RequireJob(*ledger, flags->job);
    // A failed chunk sealed the job before its publish stage was added: requeued, its chunks
    // would complete the job with nothing published. Its done chunks are in the cache, so the
    // same submit again computes only the failed ones.
    if (jobs::JobKindOf(job) == batch::kBatchJobKind) {
      throw InvalidArgument(
          "job {} is a batch job, which cannot be retried in place: submit the same `sluice batch "
          "... --submit` again (the chunks it finished are cache hits)",
          flags->job);
    }
    const int64_t requeued = jobs::RequeueFailedPartitions(*ledger, job);
    fmt::print(
        "requeued {} failed partitions of job {}; run `sluice worker --job {}` or the same "
        "`sluice run` again to process them\n",
        requeued, flags->job, flags->job);
    return 0;
  };
}

}  // namespace sluice::cli
