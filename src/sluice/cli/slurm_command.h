// `sluice slurm [--nodes N] [--partition P] ... -- COMMAND ARGS...`: runs a job across a Slurm
// cluster. It submits the job to the ledger (`sluice COMMAND --submit ARGS...`), then one Slurm
// allocation of N nodes whose `srun` starts `sluice worker --job NAME` on each; it follows the
// job in the ledger until it ends and the workers have left, and its exit status is the job's.
// The ledger URL reaches the workers through $SLUICE_LEDGER, never on a command line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddSlurmCommand(CLI::App& app);

}  // namespace sluice::cli
