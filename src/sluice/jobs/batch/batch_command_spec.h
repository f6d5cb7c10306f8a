// BatchCommandSpec: a `sluice batch` job as its command line gives it, minus the inputs (which
// only the split reads): the command run per chunk, the task's identity, the chunking, the --then
// steps and --finalize. It builds the BatchedJob, so `sluice batch` here and `sluice worker` on
// another host (batch_join.h) run the same job from the same fields, stored in the ledger.
//
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "sluice/jobs/batch/batched_job.h"
#include "sluice/ledger/ledger_records.h"

namespace sluice::batch {

struct BatchCommandSpec {
  std::vector<std::string> command;      // with placeholders (command_chunk_task.h)
  std::vector<std::string> input_names;  // in order
  std::vector<std::string> by;
  int chunks = 64;
  std::string name;  // the task's name in cache keys
  std::string version = "1";
  int64_t max_attempts = 3;
  int64_t retry_delay_ms = 1000;
  int chunks_in_flight = 0;
  std::vector<ledger::ResourceLimit> resources;
  std::vector<std::string> then;  // each step's command line
  std::string then_version = "1";
  int then_concurrency = 128;
  std::string finalize;  // its command line; empty for none

  // InvalidArgument naming the flag (--then, --finalize) or the command's argument at fault.
  // ledger_url and state_dir are a run's here (BatchedOptions); a submitted job's workers have
  // their own.
  BatchedJob MakeJob(const std::string& ledger_url = {}, const std::string& state_dir = {}) const;
  nlohmann::json ToJson() const;
  // InvalidData for anything malformed.
  static BatchCommandSpec FromJson(const nlohmann::json& json);
};

}  // namespace sluice::batch
