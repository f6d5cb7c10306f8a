// S3OutputCommitter: the output commit protocol (output_commit.h) for an s3:// prefix. S3 has no
// rename, so the publish is the completion of multipart uploads (the S3A magic committer is the
// anchor):
//   Prepare   a local staging directory per attempt (the Parquet writers need positioned writes):
//             <staging root>/.sluice-attempts/p<partition id>-a<attempt>, the staging root by
//             default under $TMPDIR, one per output root.
//   Manifest  uploads each staged file as a multipart upload under its final key,
//             <root>/<encoded key>/<relative path>, in equal parts, one part in memory, and does
//             not complete it: nothing is visible (no listing shows it, HEAD answers 404). The
//             staging directory is removed; the manifest records per file its upload id, the
//             parts' ETags and its bytes, and goes to the ledger with the completion.
//   Publish   after the ledger accepted: completes each upload (idempotent: an upload already
//             completed must have left its object, of the manifest's size).
//   Discard   aborts a stale or failed attempt's uploads and removes its staging directory.
//   Sweep     for a process that died: lists the uploads in progress under the root
//             (ListMultipartUploads) and asks the ledger about each one's partition (the key's
//             first segment below the root is the partition's encoded key). Running: left to its
//             attempt (the store does not say which attempt started an upload; a stale attempt's
//             are aborted once the partition is done). Done, with the upload in its manifest:
//             completed (the publish rolled forward). Anything else: aborted. Uploads under keys
//             of no partition of the job are left alone. Staging directories of this machine's
//             attempts that are no longer running are removed, and the staging root when empty.
// Each object appears whole at once; a partition's objects appear one after another (S3 has no
// multi-object commit), all after the ledger commit.
//
// Thread safety: as OutputCommitter; the client is shared and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "sluice/io/fs/s3_client.h"
#include "sluice/jobs/output_commit.h"

namespace sluice::jobs {

class S3OutputCommitter final : public OutputCommitter {
 public:
  // The part size of the uploads (S3: 5 MiB..5 GiB, equal parts but the last).
  static constexpr int64_t kPartBytes = 16 << 20;

  // root: s3://bucket/prefix (a trailing '/' is dropped). InvalidArgument for anything else.
  S3OutputCommitter(const std::string& root, std::shared_ptr<fs::S3Client> client,
                    std::filesystem::path staging_root, int64_t part_bytes = kPartBytes);

  // $TMPDIR/sluice-s3-staging/<the root, encoded>.
  static std::filesystem::path DefaultStagingRoot(const std::string& root);

  // s3://bucket/prefix/<encoded key>: the partition's final "directory".
  std::string FinalPrefix(std::string_view key) const;

  std::filesystem::path Prepare(const ledger::LeaseRef& lease) const override;
  std::string Manifest(const ledger::Lease& lease) const override;
  bool Publish(const ledger::LeaseRef& lease, std::string_view key,
               std::string_view manifest) const override;
  std::string MissingPublishedFile(std::string_view manifest) const override;
  void Discard(const ledger::LeaseRef& lease, std::string_view manifest) const noexcept override;
  SweepResult Sweep(ledger::Ledger& ledger, ledger::JobId job) const override;

 private:
  // "prefix/" ("" at the bucket's root): where the partitions' keys start.
  std::string KeyPrefix() const;

  fs::S3Url root_;
  std::shared_ptr<fs::S3Client> client_;
  OutputLayout staging_;
  int64_t part_bytes_;
};

}  // namespace sluice::jobs
