// RunGroupBy: a group-by over a TableScan on the flow executor. Read tasks read units (Parquet
// row groups decoded, CSV files cut into chunks), parse tasks turn CSV chunks into batches; each
// aggregate task folds batches into a partial HashAggregation of its own (map-side combining, so
// only one entry per group and thread is ever shuffled); after the scan the partials are sealed
// into P hash partitions and P merge tasks each build one partition of the result in parallel.
//
// P defaults to max(cores, rows read / 500,000) within [min, max] partitions.
//
// Thread safety: each call is independent.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct GroupByOptions {
  int min_partitions = 1;
  int max_partitions = 4096;
  RunOptions run;
};

struct GroupByResult {
  std::vector<RecordBatch> batches;  // one per non-empty partition
  std::shared_ptr<const Schema> schema;
  int partitions = 0;
  int64_t input_rows = 0;
  int64_t groups = 0;
  // Bytes of the partial states after the scan, and the most one partition's merge held: the
  // executor's budget does not see these yet (no spilling), so they are reported apart.
  int64_t partial_state_bytes = 0;
  int64_t max_merge_state_bytes = 0;
  RunReport scan_report;   // scan + partial aggregation
  RunReport merge_report;  // partition merges
};

GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options);

}  // namespace sluice
