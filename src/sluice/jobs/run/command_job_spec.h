// CommandJobSpec: what a `sluice run` job is, stored as the job's options JSON in the ledger so
// that `sluice worker --job NAME` on any machine can join it without repeating the command line:
// the command template, the placeholder fields its partitioner provides, where committed output
// goes, the failure policy and the resource limits (`--limit es=4`) every worker claims under.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/ledger_records.h"

namespace sluice::jobs {

// The kind stored in a command job's spec (jobs/job_spec.h).
inline constexpr std::string_view kCommandJobKind = "run";

struct CommandJobSpec {
  std::vector<std::string> command;
  std::set<std::string, std::less<>> fields;
  std::string partition_by;
  std::filesystem::path output_root;  // empty when the command takes no {output}
  int64_t max_attempts = 3;
  bool stop_on_failure = true;
  std::vector<ledger::ResourceLimit> resources;  // every partition holds one unit of each

  std::string ToJson() const;  // stamped with kCommandJobKind and this sluice's version
  // InvalidData naming the job when the stored options are not a command job's.
  static CommandJobSpec FromJson(std::string_view json, std::string_view job_name);
  // What must not change when a job is run again: the work itself and where its output goes.
  bool SameWork(const CommandJobSpec& other) const {
    return command == other.command && partition_by == other.partition_by &&
           output_root == other.output_root;
  }
};

}  // namespace sluice::jobs
