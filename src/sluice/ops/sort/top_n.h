// TopNPerGroup: the first N rows of every group by a sort order over a TableScan, as SQL's
// `SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY groups ORDER BY order) <= N` gives
// them (db-benchmark's q8 is `--per id6 --by v3:desc --top 2`), on the flow executor: scan tasks
// each fold batches into a TopNTable of their own (top_n_table.h), whose groups are then listed
// by P hash partitions of the group key; P merge tasks each merge one partition of every partial
// and gather its rows (the rows are copied once more only there).
//
// Output: the input's columns, group after group, each group's rows best first. Ties in the
// order keep stream order (the earlier row wins, where SQL leaves the pick open); nulls in the
// order columns rank last; null group keys form one group. Rows whose order key is null are kept
// when a group has fewer than N others (as the window query does; add a filter before for
// db-benchmark's `WHERE v3 IS NOT NULL`, which its data never needs).
//
// The tables hold O(groups x N x threads) rows outside the executor's budget; they are reported
// (state_bytes), not spilled.
//
// Thread safety: each call is independent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct TopNOptions {
  std::vector<std::string> groups;  // partition columns; empty: one group (a global top-N)
  std::vector<SortKey> order;
  int64_t n = 1;
  // The columns output (SELECT's list), empty for all; only these rows' values are kept.
  std::vector<std::string> columns;
  int min_partitions = 1;
  int max_partitions = 4096;
  RunOptions run;
};

struct TopNResult {
  std::shared_ptr<const Schema> schema;  // the input's, or its `columns`
  std::vector<RecordBatch> batches;      // one per non-empty partition
  int partitions = 0;
  int64_t input_rows = 0;
  int64_t groups = 0;
  int64_t output_rows = 0;
  int64_t candidate_rows = 0;  // rows the per-thread tables held after the scan
  int64_t state_bytes = 0;     // their memory
  RunReport scan_report;
  RunReport merge_report;
};

TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options);

}  // namespace sluice
