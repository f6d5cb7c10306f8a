// `--submit` for the shuffling commands (groupby, distinct): instead of running here, the command
// defines its job in the ledger (jobs/shuffle/shuffle_job.h) and prints its name; `sluice worker
// --job NAME` on any number of hosts then runs its map, reduce and gather stages, and `sluice
// slurm -- groupby ...` does both on a Slurm cluster.
//
// Thread safety: plain values; used on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/shuffle_flags.h"
#include "sluice/jobs/shuffle/shuffle_spec.h"

namespace sluice::cli {

struct ShuffleSubmitFlags {
  bool submit = false;
  LedgerFlags ledger;
  std::string work_dir;
  std::string map_size = "256MiB";

  void Add(CLI::App& command);
  // Completes `spec` (kind, keys, aggregates, where and output set by the command) from the
  // inputs and flags, submits it and prints the job's name. InvalidArgument naming a bad flag;
  // NotSupported for CSV inputs.
  int Submit(shuffle::ShuffleSpec spec, const std::vector<std::string>& inputs,
             const ShuffleFlags& shuffle) const;
};

}  // namespace sluice::cli
