// Staged files: for writers that need a local file (positioned writes, fsync) whatever their
// target, the place they write to and the step that puts the finished bytes at the target.
//   local target: TemporaryPathFor(target), a hidden file beside it, published by rename(2);
//   s3:// target: a fresh file under the temporary directory ($TMPDIR or /tmp), published by an
//     upload through FileSystemFor(target) that reads it one part at a time (never the whole
//     file in memory), then removed. The object appears whole or not at all.
//
// Pending uploads split that upload in two for the output commit protocol (jobs/
// s3_output_commit.h): the staged bytes go up as the equal-sized parts of a multipart upload
// under the final key that is not completed, so nothing is visible (no listing shows it, HEAD
// answers 404) until CompletePendingUpload, which a later process may send from the upload's
// description alone; AbortPendingUpload drops the parts.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/io/fs/s3_client.h"

namespace sluice::fs {

std::string StagingPathFor(const std::string& target);
// Puts a finished staging file at its target. On failure the staging file is left for the
// caller to remove (writers remove it when abandoned).
void PublishStagedFile(const std::string& staging, const std::string& target);

// An object uploaded but not completed: what completing it needs.
struct PendingUpload {
  S3Url url;
  std::string upload_id;
  std::vector<std::string> etags;  // part i + 1's, as the store sent them
  int64_t bytes = 0;
};

// Uploads a local file as the parts (part_size each, the last shorter; one part, maybe empty,
// for a small file) of a new multipart upload at `target`, holding one part in memory. On failure
// the upload is aborted and the error (naming the URL, the operation and the store's code)
// rethrown. The local file is left as it is.
PendingUpload UploadStagedFilePending(S3Client& client, const std::string& staging,
                                      const S3Url& target, int64_t part_size);
// Completes the upload. Idempotent: when the store no longer knows the upload (an earlier
// completion went through) the object must exist with the upload's size, else Conflict.
void CompletePendingUpload(S3Client& client, const PendingUpload& upload);
// Never throws: a failure is logged (the resume sweep finds the upload again).
void AbortPendingUpload(S3Client& client, const S3Url& url, const std::string& upload_id) noexcept;

}  // namespace sluice::fs
