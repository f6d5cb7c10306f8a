// SortPartition: the `sort` stage's work for one partition under --sort-by or --zorder-by. Its
// rows are read as the output's schema (the plan's union by name: columns a file lacks are null,
// narrower ones widened), sorted by the external merge sort of ops/sort/external_sort.h (runs
// spill under spill_dir when the partition does not fit), and written in order into the plan's
// files by SortedOutputWriter. --zorder-by sorts by a ZOrderKey (zorder_key.h) computed as the
// rows are read, from quantile boundaries of a sample drawn first: the z columns of up to
// kZOrderSampleUnits row groups spread over the partition, every k-th row, at most
// kZOrderSampleRows rows.
//
// Memory: `memory` bounds what the call holds: an eighth for the row group being written (its
// rows held whole), the rest the sort's budget (an eighth of it the scan's).
//
// Inputs are opened through OpenListedInput (listed_input.h), so local files and s3:// objects
// alike, each checked against its listing.
//
// Thread safety: each call is independent; it runs the sort's threads and returns once they end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/io/parquet/row_group_file_writer.h"
#include "sluice/jobs/compact/compact_options.h"
#include "sluice/jobs/compact/compaction_plan.h"
#include "sluice/ops/sort/external_sort.h"

namespace sluice::compact {

inline constexpr int kZOrderSampleUnits = 16;
inline constexpr int64_t kZOrderSampleRows = 64 * 1024;

// What the sorts of a run's partitions did, for the summary.
struct SortCounters {
  int64_t partitions = 0;
  int64_t rows = 0;
  int64_t runs = 0;
  int64_t spilled_runs = 0;
  int64_t spilled_bytes = 0;
  int64_t peak_held_bytes = 0;  // the most one sort held of its budget
  int64_t held_budget = 0;      // one sort's budget (the largest seen)

  void Add(const SortStats& stats);
  void Add(const SortCounters& other);
};

struct SortedPartition {
  // In plan order, every row group written, footers not yet (commit writes them).
  std::vector<std::unique_ptr<parquet::RowGroupFileWriter>> files;
  SortStats stats;
};

// The output's fields as sluice reads them: the plan's unified Parquet schema, field by field.
std::shared_ptr<const Schema> OutputTableSchema(const PartitionPlan& plan);

SortedPartition SortPartition(std::shared_ptr<const PartitionPlan> plan,
                              const std::vector<InputFile>& inputs,
                              const std::filesystem::path& output_dir,
                              const CompactOptions& options, int64_t memory, int threads,
                              const CancellationToken& cancel);

}  // namespace sluice::compact
