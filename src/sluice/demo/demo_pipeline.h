// The demo job: a synthetic pipeline shaped like Parquet compaction, so the executor can be shown
// and measured before the real jobs exist. Partitions are listed (light CPU), each partition's
// files are "read" (I/O with latency; the bytes are generated), binned into row groups of a
// target size, "concatenated" (heavy CPU whose cost swings between light and heavy phases, one
// phase per few partitions) and "written" (I/O at a fixed bandwidth). Every file's bytes are
// checksummed on read and again when its row group is written, so the run verifies that each
// file arrived exactly once.
//
// Thread safety: RunDemo may be called from any thread; each call is independent.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sluice/base/bytes.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice {

struct DemoOptions {
  int partitions = 64;
  int files_per_partition = 24;
  int64_t min_file_bytes = 256_KiB;
  int64_t max_file_bytes = 1_MiB;
  int64_t row_group_bytes = 4_MiB;
  double read_latency_ms = 3;
  double write_mib_per_second = 400;
  // Passes over each byte in the concat stage, for light and heavy partitions.
  int light_passes = 1;
  int heavy_passes = 6;
  int phase_partitions = 4;  // partitions per phase
  // Pins stage concurrency (stage name -> count) instead of autoscaling that stage.
  std::map<std::string, int> pinned;
};

struct DemoResult {
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t row_groups = 0;
  bool verified = false;  // every file's checksum arrived exactly once
  RunReport report;
};

DemoResult RunDemo(const DemoOptions& demo, const RunOptions& run);

}  // namespace sluice
