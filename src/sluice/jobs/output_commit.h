// The output commit protocol: a partition's attempt writes its output where nobody sees it, the
// worker completes the partition in the ledger with a manifest of that output, and only when the
// ledger accepts it (the attempt still owns the lease: fenced by partition and attempt) is the
// output made visible, whole, at <root>/<encoded key>. A stale attempt's completion gets Conflict
// and its output is discarded. A worker that dies between the ledger commit and the publish
// leaves a done partition whose manifest names output that is not visible yet; Sweep rolls such
// publishes forward and discards the output of attempts that can never commit.
//
// OutputCommitter is that protocol's interface; MakeOutputCommitter picks the implementation by
// the root: OutputLayout (here) for a local directory, S3OutputCommitter (s3_output_commit.h)
// for an s3:// prefix, where there is no rename and objects are multipart uploads completed only
// after the ledger accepted the attempt. Either way the task writes into a local directory that
// Prepare returns.
//
// Local: each attempt writes into its own directory, <root>/.sluice-attempts/p<partition
// id>-a<attempt>, so concurrent attempts (a hung worker and the one that took over its lease)
// never touch the same files; the publish renames it into place at <root>/<encoded key> (one
// rename(2), refusing to replace an existing directory). A target that already holds the same files
// (an earlier run of the same work published them) counts as published and the attempt's copy is
// removed; a target holding other files is a Conflict naming both directories.
//
// Thread safety: the methods touch only the paths (objects) of the attempt they are given;
// concurrent calls for distinct attempts are independent, and racing publishes of one attempt
// (a worker and a sweep) are resolved by the rename (the store's completion).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

// A file-name-safe, injective rendering of a partition key ("logs/a.gz" -> "logs%2Fa.gz"); long
// keys are shortened with a hash.
std::string EncodeKeyForPath(std::string_view key);

// "" when the directory trees `a` (an attempt's) and `b` hold the same regular files, byte for
// byte; otherwise the first difference, in words ("part-0.parquet is missing there"). Io when
// either cannot be listed.
std::string DifferenceBetweenTrees(const std::filesystem::path& a, const std::filesystem::path& b);

class OutputCommitter {
 public:
  struct SweepResult {
    int64_t published = 0;  // publishes rolled forward (local: directories; S3: objects)
    int64_t discarded = 0;  // outputs of dead attempts removed (directories; uploads aborted)
  };

  virtual ~OutputCommitter() = default;

  // Creates the attempt's empty local directory, where its task writes (removing leftovers of the
  // same attempt). Io on failure.
  virtual std::filesystem::path Prepare(const ledger::LeaseRef& lease) const = 0;
  // Makes a finished attempt's output durable but still invisible, and describes it: the
  // manifest sent with the ledger completion, at least {"path": the final location, "attempt": n,
  // "bytes": total, "files": [{"name": relative path, "bytes": n}, ...]}.
  virtual std::string Manifest(const ledger::Lease& lease) const = 0;
  // Makes the output visible, after the ledger accepted the completion that carried `manifest`.
  // Returns false when there was nothing to do because that already happened.
  virtual bool Publish(const ledger::LeaseRef& lease, std::string_view key,
                       std::string_view manifest) const = 0;
  // The first file a committed attempt's manifest names that is not at its published place (its
  // path or URL); empty when every one is there. For a task that found its input, another
  // partition's output, missing (lost_output.h). Io when the store cannot be asked.
  virtual std::string MissingPublishedFile(std::string_view manifest) const = 0;
  // Removes the output of a stale or failed attempt; `manifest` is what Manifest returned for it,
  // or empty when it never got that far. Never throws.
  virtual void Discard(const ledger::LeaseRef& lease, std::string_view manifest) const noexcept = 0;
  // Rolls forward committed attempts of the job and removes the output of its attempts that no
  // longer own their partition. Attempts still running, and other jobs' output, are left alone.
  virtual SweepResult Sweep(ledger::Ledger& ledger, ledger::JobId job) const = 0;
};

// What the ledger says became of an attempt: its partition is still running it, or is done with
// its manifest (committed), or the attempt can never commit (dead), or the partition belongs to
// another job. *partition receives the partition's record when there is one.
enum class AttemptFate { kRunning, kCommitted, kDead, kOtherJob };
AttemptFate FateOf(ledger::Ledger& ledger, ledger::JobId job, const ledger::LeaseRef& attempt,
                   ledger::PartitionRecord* partition = nullptr);

// Removes everything under a job's work directory (local or s3://), as a staged job does once it
// is done; what is already gone is fine.
void RemoveWorkDirectory(const std::string& dir);

// An S3OutputCommitter for an s3:// root (over the process-wide S3 client), else an OutputLayout.
std::unique_ptr<OutputCommitter> MakeOutputCommitter(const std::string& root);

class OutputLayout final : public OutputCommitter {
 public:
  explicit OutputLayout(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path AttemptsDir() const;  // <root>/.sluice-attempts
  std::filesystem::path AttemptDir(const ledger::LeaseRef& lease) const;
  std::filesystem::path FinalDir(std::string_view key) const;
  // The regular files in an attempt's directory: path relative to it, and bytes; sorted.
  std::vector<std::pair<std::string, int64_t>> AttemptFiles(const ledger::LeaseRef& lease) const;
  // The attempt directories there are, by attempt.
  std::vector<std::pair<ledger::LeaseRef, std::filesystem::path>> AttemptDirs() const;

  std::filesystem::path Prepare(const ledger::LeaseRef& lease) const override;
  std::string Manifest(const ledger::Lease& lease) const override;
  // Renames the attempt's directory to the final one. False when the final one already holds the
  // same files (the attempt's copy is removed); Conflict when it holds other files.
  bool Publish(const ledger::LeaseRef& lease, std::string_view key,
               std::string_view manifest) const override;
  std::string MissingPublishedFile(std::string_view manifest) const override;
  void Discard(const ledger::LeaseRef& lease, std::string_view manifest) const noexcept override;
  SweepResult Sweep(ledger::Ledger& ledger, ledger::JobId job) const override;

 private:
  std::filesystem::path root_;
};

}  // namespace sluice::jobs
