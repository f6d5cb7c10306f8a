// PartitionBy: the `--partition-by` text of `sluice run`, turned into a Partitioner.
//   files:PATTERN   one partition per file (glob or directory); with batch_bytes, batches of files
//   ranges:PATTERN  byte ranges of range_bytes per file
//   keys:[SCHEMA.]TABLE.COLUMN   integer key ranges, every key_step-th key, from key_source
//   list:A,B,C or list:@FILE     explicit keys (a file holds one key per line)
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/jobs/partitioner.h"

namespace sluice::jobs {

struct PartitionByOptions {
  int64_t batch_bytes = 0;           // files: 0 = one partition per file
  int64_t range_bytes = 64ll << 20;  // ranges
  int64_t key_step = 1000;           // keys
  std::string key_source;            // keys: sqlite:PATH, PATH or postgresql://...
};

// InvalidArgument naming the flag for an unknown kind or a malformed value; nothing is read yet
// except a list file.
std::unique_ptr<Partitioner> ParsePartitionBy(std::string_view text,
                                              const PartitionByOptions& options);

}  // namespace sluice::jobs
