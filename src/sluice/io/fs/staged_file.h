// Staged files: for writers that need a local file (positioned writes, fsync) whatever their
// target, the place they write to and the step that puts the finished bytes at the target.
//   local target: TemporaryPathFor(target), a hidden file beside it, published by rename(2);
//   s3:// target: a fresh file under the temporary directory ($TMPDIR or /tmp), published by an
//     upload through FileSystemFor(target) that reads it one part at a time (never the whole
//     file in memory), then removed. The object appears whole or not at all.
//
// Thread safety: both functions may be called from any thread.
#pragma once

#include <string>

namespace sluice::fs {

std::string StagingPathFor(const std::string& target);
// Puts a finished staging file at its target. On failure the staging file is left for the
// caller to remove (writers remove it when abandoned).
void PublishStagedFile(const std::string& staging, const std::string& target);

}  // namespace sluice::fs
