// Where a batched job's files live. The output (chunk files, manifest) and its chunk cache are
// in a local directory or under an s3:// prefix, reached through fs::FileSystemFor; the run's
// scratch (split files, each task's output before the cache stores it) and its ledger are always
// in a local directory. These are the operations jobs/batch needs beyond the FileSystem
// interface, and the only place where local paths and object stores are handled apart: a local
// file is hard-linked or renamed where an object is copied or uploaded.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>

namespace sluice::batch {

// "dir/name" (one '/' between them, for local paths and s3:// URLs alike).
std::string JoinLocation(std::string_view dir, std::string_view name);
// The last component of a path or URL ("chunk-00001.parquet").
std::string_view BaseName(std::string_view path);
// A local directory as an absolute normal path; an s3:// URL without its trailing '/'. IoError
// naming the path when it cannot be resolved.
std::string NormalizeLocation(const std::string& location);
// Creates a local directory and its parents (IoError naming it on failure); nothing for an
// object store, which has no directories.
void MakeDirectories(const std::string& location);
// Puts a copy of `from` at `to`, appearing whole and replacing what was there: a hard link
// under a temporary name renamed onto the target when both are local (a copy where links are
// not possible), else the bytes streamed through the FileSystems, committed at the end.
void CopyFileInto(const std::string& from, const std::string& to);
// Moves a finished local file to `to`: a rename when `to` is local (a copy across file
// systems), an upload for an object (one part in memory at a time), after which the local file
// is removed. Either way `to` appears whole.
void MoveLocalFileInto(const std::string& local, const std::string& to);

}  // namespace sluice::batch
