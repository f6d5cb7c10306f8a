// The `sluice compact` job: compacts every partition under a source directory into a destination
// directory, one ledger partition per hive partition, on one streaming pipeline
// (compact_pipeline.h) inside one memory budget.
//
// How the pieces meet: a feeder thread streams the partitions the HivePartitioner finds into the
// ledger; the worker loop (jobs/worker.h) claims them with leases and heartbeats and runs one task
// per claimed partition, which hands a PartitionRun to the pipeline and waits for it; the worker
// then completes the partition in the ledger and publishes the attempt's output
// (jobs/output_commit.h): <destination>/<partition key> appears whole, once, or not at all; on an
// s3:// destination each of its objects is a multipart upload completed only after the ledger
// commit (jobs/s3_output_commit.h). A killed run resumes (same source, destination and options)
// where it stopped: the output sweep first rolls forward publishes the crash cut short and drops
// dead attempts' output (open uploads included), done partitions are skipped, others are claimed
// again once their lease expires.
//
// With delete_source, a partition's inputs are deleted only after its completion is committed
// and its published files are checked against the manifest; the list of inputs of each attempt is
// kept in the ledger's event log, so a resumed run deletes exactly what was compacted.
//
// Thread safety: RunCompaction owns its threads; call it from one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/io/parquet/column_chunk_concat.h"
#include "sluice/jobs/compact/compact_options.h"
#include "sluice/jobs/compact/sorted_partition.h"
#include "sluice/jobs/worker.h"

namespace sluice::compact {

// The kind stored in a compaction's job spec (jobs/job_spec.h).
inline constexpr std::string_view kCompactJobKind = "compact";

struct CompactJobOptions {
  CompactOptions compact;
  // default: sqlite under <destination>/.sluice; for an s3:// destination under ./.sluice
  std::string ledger_url;
  std::string job_name;  // default: "compact <source> -> <destination>"
  jobs::WorkerOptions worker;
  int64_t max_attempts = 2;
  // `--submit`: create the job and list its partitions into the ledger, compact nothing; any
  // `sluice worker` (JoinCompaction) then compacts them, on any host that reaches the ledger.
  bool submit_only = false;
};

struct CompactSummary {
  std::string job_name;    // as the ledger names it
  int64_t partitions = 0;  // in the job (all runs)
  int64_t partitions_done = 0;
  int64_t partitions_failed = 0;
  int64_t partitions_this_run = 0;  // compacted by this process
  int64_t files_in = 0, bytes_in = 0, row_groups_in = 0, rows = 0;
  int64_t files_out = 0, bytes_out = 0, row_groups_out = 0;
  parquet::ChunkConcatCounters pages;
  SortCounters sort;  // --sort-by, --zorder-by
  int64_t sources_deleted = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // partition key, error
  std::vector<std::string> plan_lines;                        // dry run
  RunReport report;  // the pipeline's executor, in its share of the budget
  // The job's partition attempts and sizes (jobs/task_timeline.h), written into --report beside
  // the pipeline's run.
  nlohmann::json tasks;
  // The share of the budget for column chunks being compacted (compact_memory.h).
  int64_t column_memory_limit = 0;
  int64_t column_memory_peak = 0;
  int64_t column_memory_overdrafts = 0;
  int64_t whole_input_memory_limit = 0;  // 0: the inputs are local
  int64_t whole_input_memory_peak = 0;
  double wall_seconds = 0;
  int64_t peak_rss = 0;
  bool verified = false;
};

CompactSummary RunCompaction(const CompactJobOptions& options, const RunOptions& run);

struct JoinedCompaction {
  CompactOptions options;  // as the job stores them
  CompactSummary summary;
};

// `sluice worker` in a compaction created elsewhere (`sluice compact --submit`, or a `sluice
// compact` still running): compacts the job's partitions under its stored options, with this
// process's worker options and budget, until the job is complete. NotFound when there is no such
// job; InvalidArgument when it is not a compaction or another sluice version created it.
JoinedCompaction JoinCompaction(const std::string& ledger_url, const std::string& job_name,
                                const jobs::WorkerOptions& worker, const RunOptions& run);

// The summary as lines for a terminal.
std::string FormatCompactSummary(const CompactSummary& summary, const CompactOptions& options);

}  // namespace sluice::compact
