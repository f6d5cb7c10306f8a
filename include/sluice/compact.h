// Compacting a partitioned Parquet dataset: the call behind `sluice compact SRC DST`. Every
// directory under `source` that holds Parquet files becomes the same directory under
// `destination`, holding few large files of large row groups; pages are copied without decoding
// where codec and encoding allow, or, with sort_by or zorder_by, rows are sorted. Each partition
// appears in `destination` whole or not at all. The job's state lives in a SQLite ledger under
// <destination>/.sluice, so a call with the same request after a crash resumes: partitions done are
// skipped.
//
// Errors: Error (error.h), e.g. kNotFound for a missing source. A partition that still fails
// after its attempts does not throw: it is listed in CompactResult::failures, and the others are
// committed.
//
// Thread safety: one call at a time per destination; the call uses its own threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/table_commands.h"

namespace sluice::api {

struct CompactRequest {
  std::string source;       // a directory of hive partitions (date=2026-01-01/...) or s3:// URL
  std::string destination;  // a directory or s3:// URL
  int64_t target_file_bytes = int64_t{256} << 20;
  int64_t row_group_bytes = int64_t{128} << 20;
  // Match the files' columns by name: a column a file lacks is null there, compatible widenings
  // (int32 to int64, float to double, a larger decimal precision) are re-encoded; false refuses
  // files of one partition whose schemas differ.
  bool union_by_name = true;
  // Readers the output must suit: "any" (DuckDB, Spark and Polars), "duckdb", "spark" or "none";
  // pages they cannot read are rewritten as PLAIN, codecs they cannot read are refused.
  std::string compat = "any";
  // Rows sorted across each partition's output by "col[:desc][,col...]" (nulls last); "" keeps
  // the inputs' order. An external sort inside run.memory, spilling under run.spill_dir.
  std::string sort_by;
  // Rows clustered by the Z-order of two to eight columns' sampled ranks; empty for none. At most
  // one of sort_by and zorder_by.
  std::vector<std::string> zorder_by;
  bool verify = false;  // decode inputs and outputs and compare them row by row
  RunSettings run;      // spill_dir: where sort_by and zorder_by spill
};

struct CompactResult {
  int64_t partitions = 0;  // in the job, over all calls that resumed it
  int64_t partitions_this_call = 0;
  int64_t files_in = 0;
  int64_t files_out = 0;
  int64_t rows = 0;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  bool verified = false;  // verify was on: each committed partition matched its inputs row by row
  std::vector<std::string> failures;  // "partition key: error", one per failed partition
  double seconds = 0;
};

CompactResult Compact(const CompactRequest& request);

}  // namespace sluice::api
