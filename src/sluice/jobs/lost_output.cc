#include "sluice/jobs/lost_output.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "sluice/base/log.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/output_commit.h"

namespace sluice::jobs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Whether a path exists; an error other than "not there" (no access to a parent) counts as there:
// what cannot be seen is not known to be lost.
bool Exists(const fs::path& path) {
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  return exists || ec;
}

// The partition's lost output, or nullopt when all of it is there, its publish is still to come,
// or its manifest names no local output.
std::optional<LostOutput> LostOutputOf(const ledger::PartitionRecord& p) {
  const json manifest = json::parse(p.output_manifest_json, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("path") || !manifest["path"].is_string() ||
      !manifest.contains("files") || !manifest["files"].is_array()) {
    return std::nullopt;
  }
  const fs::path output = manifest["path"].get<std::string>();
  if (output.string().find("://") != std::string::npos) return std::nullopt;
  const ledger::LeaseRef done_by{p.id, p.attempt};
  // Checked before the output: a racing publish renames one into the other.
  const ledger::LeaseRef committed{p.id, manifest.value("attempt", p.attempt)};
  if (Exists(OutputLayout(output.parent_path()).AttemptDir(committed))) return std::nullopt;
  for (const json& file : manifest["files"]) {
    if (!file.is_object() || !file.contains("name") || !file["name"].is_string()) continue;
    const fs::path path = output / file["name"].get<std::string>();
    if (!Exists(path)) return LostOutput{p.key, done_by, output.string(), path.string()};
  }
  return std::nullopt;
}

}  // namespace

std::vector<LostOutput> FindLostOutputs(ledger::Ledger& ledger, const ledger::JobRecord& job) {
  std::vector<LostOutput> lost;
  // A staged job's outputs (a shuffle's map and reduce slices) are read by the stage after and
  // removed with the work directory once the job is done: gone is their normal end, not a loss.
  if (!StoredStageNames(job).empty()) return lost;
  ledger::PartitionQuery query{.status = ledger::PartitionStatus::kDone};
  for (auto page = ledger.ListPartitions(job.id, query); !page.empty();
       page = ledger.ListPartitions(job.id, query)) {
    query.after_id = page.back().id;
    for (const ledger::PartitionRecord& p : page) {
      if (std::optional<LostOutput> one = LostOutputOf(p)) lost.push_back(*std::move(one));
    }
  }
  return lost;
}

int64_t ReopenLostOutputs(ledger::Ledger& ledger, ledger::JobId job) {
  int64_t pending = 0;
  for (const LostOutput& lost : FindLostOutputs(ledger, ledger.GetJob(job))) {
    const std::string reason =
        fmt::format("its output {} was removed after the partition was done", lost.missing);
    switch (ledger.ReopenPartition(lost.done_by, reason)) {
      case ledger::ReopenResult::kReopened: {
        // The rerun's output is published whole, by a rename that refuses to replace a directory.
        std::error_code ec;
        fs::remove_all(lost.output, ec);
        SLUICE_LOG_WARN(
            "partition {}: {} is missing (removed after the partition was done); the "
            "partition runs again and its output {} is written anew",
            lost.key, lost.missing, lost.output);
        if (ec) SLUICE_LOG_WARN("cannot remove the rest of {}: {}", lost.output, ec.message());
        ++pending;
        break;
      }
      case ledger::ReopenResult::kAlreadyReopened:
        ++pending;
        break;
      case ledger::ReopenResult::kConflict:
        break;  // run again since: no longer lost
    }
  }
  return pending;
}

namespace {

constexpr char kLostInputContext[] = "lost input partitions";

// Sends a done partition back to pending because its output is gone; removes what is left of a
// local output (the rerun's publish renames into place and refuses to replace a directory).
bool Reopen(ledger::Ledger& ledger, const ledger::PartitionRecord& p, const std::string& output,
            std::string_view reason) {
  if (ledger.ReopenPartition({p.id, p.attempt}, reason) != ledger::ReopenResult::kReopened) {
    return false;
  }
  if (!output.empty() && output.find("://") == std::string::npos) {
    std::error_code ec;
    fs::remove_all(output, ec);
    if (ec) SLUICE_LOG_WARN("cannot remove the rest of {}: {}", output, ec.message());
  }
  SLUICE_LOG_WARN("partition {}: its output is gone ({}); it runs again", p.key, reason);
  return true;
}

// Whether the done partition's published output is gone. A local committed attempt not published
// yet is published here instead. On s3:// the barrier and the worker publish before any reader
// looks, and a repeated completion of an upload whose object was deleted is no reliable signal
// (RGW answers 500 "completion already in progress"): the objects are asked for instead.
bool PublishedOutputGone(const OutputCommitter& committer, const ledger::PartitionRecord& p,
                         const std::string& output) {
  if (output.empty()) return false;  // no output of its own to lose
  if (output.find("://") == std::string::npos) {
    const json manifest = json::parse(p.output_manifest_json);
    const ledger::LeaseRef committed{p.id, manifest.value("attempt", p.attempt)};
    if (Exists(OutputLayout(fs::path(output).parent_path()).AttemptDir(committed))) {
      committer.Publish(committed, p.key, p.output_manifest_json);
      return false;
    }
  }
  return !committer.MissingPublishedFile(p.output_manifest_json).empty();
}

}  // namespace

Error LostInputError(const std::vector<std::string>& keys, std::string_view missing) {
  return NotFound("{} is gone: the partitions that wrote it run again", missing)
      .With(kLostInputContext, json(keys).dump());
}

std::vector<std::string> LostInputKeys(const Error& error) {
  const std::string_view text = error.ContextValue(kLostInputContext);
  if (error.kind() != ErrorKind::kNotFound || text.empty()) return {};
  return json::parse(text).get<std::vector<std::string>>();
}

LostInputs ReopenLostInputs(ledger::Ledger& ledger, ledger::JobId job,
                            const OutputCommitter& committer, const std::vector<std::string>& keys,
                            std::string_view reason) {
  LostInputs lost;
  for (const ledger::PartitionRecord& p : AllPartitions(ledger, job)) {
    if (std::find(keys.begin(), keys.end(), p.key) == keys.end()) continue;
    if (p.status == ledger::PartitionStatus::kFailed && lost.failed.empty()) lost.failed = p.key;
    if (p.status != ledger::PartitionStatus::kDone) continue;
    const json manifest = json::parse(p.output_manifest_json, nullptr, false);
    const std::string output = manifest.is_object() ? manifest.value("path", "") : "";
    if (PublishedOutputGone(committer, p, output) && Reopen(ledger, p, output, reason)) {
      ++lost.reopened;
    }
  }
  return lost;
}

}  // namespace sluice::jobs
