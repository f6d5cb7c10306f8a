// FileSystemFor: the FileSystem that serves a path: s3://bucket/key URLs go to one process-wide
// S3 file system configured from the environment (AwsConfigFromEnvironment, on first use),
// everything else to the local file system. Callers that open user-given paths go through it,
// so every command accepts s3:// URLs.
//
// Thread safety: may be called from any thread; the S3 file system is created once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sluice/base/memory_gate.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/s3_client.h"

namespace sluice::fs {

// How the process-wide S3 file system spends its resources, set from a command's flags.
struct S3ProcessOptions {
  // Requests in flight at most, from every thread (`--limit s3=N`).
  int max_requests = 64;
  // The S3 share of the memory budget: parts being gathered or sent, read-ahead windows and
  // whole objects kept (s3_file_system.h).
  int64_t memory_bytes = int64_t{256} << 20;
};

// Sets the options before the first use of an s3:// URL; a bug to call once the S3 file
// system exists (InternalError: its client and buffers were made with the options then in force).
void ConfigureProcessS3(const S3ProcessOptions& options);

// The part size of uploads under a memory share: as large as 16 MiB while four parts in flight
// and one being gathered fit in it, never below S3's minimum of 5 MiB.
int64_t S3PartSizeFor(int64_t memory_bytes);

// The process's S3 share of the memory budget (for staged uploads, and reports of its peak).
MemoryGate& ProcessS3Memory();

// InvalidArgument (from the configuration) when an s3:// URL is used with a half-set
// environment; the error is not cached, so a fixed environment works on the next call.
std::shared_ptr<FileSystem> FileSystemFor(std::string_view path);

// The client under that S3 file system, for what needs S3 operations beyond FileSystem (the
// output commit protocol's multipart uploads); the same errors as FileSystemFor.
std::shared_ptr<S3Client> ProcessS3Client();

// The requests the process-wide S3 file system has sent so far, retries included (zeros before
// its first use): for summaries and benchmarks.
S3RequestCounts S3RequestCountsSoFar();

// "s3: 602 GET, 0 HEAD, ... requests (0 retries); buffers peak 30.1 MiB of 32.0 MiB\n", or ""
// when the process sent no S3 request: the line a command's summary ends with.
std::string S3RequestSummary();

}  // namespace sluice::fs
