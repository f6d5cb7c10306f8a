#include "sluice/cli/retry_command.h"

#include <fmt/format.h>

#include <memory>

#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/create_or_resume.h"
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
    int64_t requeued = ledger->RequeueFailed(jobs::RequireJob(*ledger, flags->job).id);
    fmt::print(
        "requeued {} failed partitions of job {}; run `sluice worker --job {}` or the same "
        "`sluice run` again to process them\n",
        requeued, flags->job, flags->job);
    return 0;
  };
}

}  // namespace sluice::cli
