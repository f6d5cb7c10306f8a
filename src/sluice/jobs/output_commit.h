// The output commit protocol. Each attempt of a partition writes into its own directory,
// <root>/.sluice-attempts/p<partition id>-a<attempt>, so concurrent attempts (a hung worker and
// the one that took over its lease) never touch the same files. The ledger is the commit point:
// the worker completes the partition with a manifest naming the attempt and its files, and only
// when the ledger accepts it (the attempt still owns the lease) is the directory renamed into
// place at <root>/<encoded key> (one rename(2), refusing to replace an existing directory). A
// stale attempt's completion gets Conflict and its directory is deleted. A worker that dies
// between the ledger commit and the rename leaves a done partition whose manifest names an attempt
// directory that still exists; Sweep rolls such renames forward and deletes directories of
// attempts that can never commit.
//
// Thread safety: the functions touch only the paths they are given; concurrent calls for distinct
// attempts are independent, and racing publishes of one attempt are resolved by the rename.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

// A file-name-safe, injective rendering of a partition key ("logs/a.gz" -> "logs%2Fa.gz"); long
// keys are shortened with a hash.
std::string EncodeKeyForPath(std::string_view key);

class OutputLayout {
 public:
  explicit OutputLayout(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path AttemptDir(const ledger::LeaseRef& lease) const;
  std::filesystem::path FinalDir(std::string_view key) const;

  // Creates the attempt's empty directory (removing leftovers of the same attempt). Io on failure.
  std::filesystem::path Prepare(const ledger::LeaseRef& lease) const;
  // The manifest for a finished attempt: {"path": final dir, "attempt": n, "bytes": total,
  // "files": [{"name": relative path, "bytes": n}, ...]}.
  std::string Manifest(const ledger::Lease& lease) const;
  // Renames the attempt's directory to the final one, after the ledger accepted the completion.
  // Returns false when there was nothing to rename because that already happened.
  // Io when the final directory is held by something else.
  bool Publish(const ledger::LeaseRef& lease, std::string_view key) const;
  // Deletes the attempt's directory (a stale or failed attempt). Never throws.
  void Discard(const ledger::LeaseRef& lease) const noexcept;

  struct SweepResult {
    int64_t published = 0;  // renames rolled forward
    int64_t discarded = 0;  // attempt directories deleted
  };
  // Rolls forward committed attempts of the job and deletes those of attempts that no longer own
  // their partition. Attempts still running, and directories of other jobs, are left alone.
  SweepResult Sweep(ledger::Ledger& ledger, ledger::JobId job) const;

 private:
  std::filesystem::path root_;
};

}  // namespace sluice::jobs
