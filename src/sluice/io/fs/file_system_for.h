// FileSystemFor: the FileSystem that serves a path: s3://bucket/key URLs go to one process-wide
// S3 file system configured from the environment (AwsConfigFromEnvironment, on first use),
// everything else to the local file system. Callers that open user-given paths go through it,
// so every command accepts s3:// URLs.
//
// Thread safety: may be called from any thread; the S3 file system is created once.
#pragma once

#include <memory>
#include <string_view>

#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/s3_client.h"

namespace sluice::fs {

// InvalidArgument (from the configuration) when an s3:// URL is used with a half-set
// environment; the error is not cached, so a fixed environment works on the next call.
std::shared_ptr<FileSystem> FileSystemFor(std::string_view path);

// The client under that S3 file system, for what needs S3 operations beyond FileSystem (the
// output commit protocol's multipart uploads); the same errors as FileSystemFor.
std::shared_ptr<S3Client> ProcessS3Client();

// The requests the process-wide S3 file system has sent so far, retries included (zeros before
// its first use): for summaries and benchmarks.
S3RequestCounts S3RequestCountsSoFar();

}  // namespace sluice::fs
