// TopNPerGroup: the first N rows of every group by a sort order over a TableScan, as SQL's
// `SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY groups ORDER BY order) <= N` gives
// them (db-benchmark's q8 is `--per id6 --by v3:desc --top 2`), on the flow executor, in two
// passes over the input:
//   - ranking: scan tasks each fold batches into a TopNTable of their own (top_n_table.h) that
//     keeps, per group, only the ranks and stream positions of its best N rows (a few dozen
//     bytes a group, not the rows); the tables' groups are then listed by P hash partitions of
//     the group key and P merge tasks each merge one partition of every table. This pass reads
//     `rank_scan` when given: the same input decoding only the group and order columns;
//   - gather: the row groups (units) holding kept rows are read again and those rows taken, in
//     windows of output rows that fit the budget, then handed out in output order.
//
// Memory, inside RunOptions::memory_budget (B): a quarter goes to the scans' pipelines (reads
// and parses in flight); the rest (held) pays for the tables (each batch's growth bound is
// reserved before the batch is consumed, TopNTable::GrowthBound), the merged tables, the
// positions kept and the gathered rows. When the tables of one ranking pass outgrow their share,
// the pass stops and the groups are ranked in several passes over the input instead, each
// covering a range of hash buckets of the group keys (the range halves until a pass fits; one
// bucket that still does not fit runs over the budget, counted in overdrafts).
//
// Output: the input's columns, group after group, each group's rows best first. Ties in the
// order keep stream order (the earlier row wins, where SQL leaves the pick open); nulls in the
// order columns rank last; null group keys form one group. Rows whose order key is null are kept
// when a group has fewer than N others (as the window query does; add a filter before for
// db-benchmark's `WHERE v3 IS NOT NULL`, which its data never needs).
//
// Thread safety: each call is independent; the sink is called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
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
  // The columns output (SELECT's list), empty for all.
  std::vector<std::string> columns;
  // The same input as the scan (same files, same units) decoding only the group and order
  // columns, for the ranking pass; null: the ranking pass reads the scan.
  const TableScan* rank_scan = nullptr;
  RunOptions run;
};

struct TopNResult {
  std::shared_ptr<const Schema> schema;  // the input's, or its `columns`
  std::vector<RecordBatch> batches;      // without a sink: the output
  int passes = 0;                        // ranking passes that finished
  int abandoned_passes = 0;              // stopped because their tables outgrew the budget
  int gather_windows = 0;
  int64_t input_rows = 0;
  int64_t groups = 0;
  int64_t output_rows = 0;
  int64_t candidate_rows = 0;  // rows the per-task tables held after the ranking scans
  int64_t state_bytes = 0;     // the most the tables of one pass held
  int64_t held_budget = 0;     // the share of the budget for the tables and gathered rows
  int64_t peak_held_bytes = 0;
  int64_t overdrafts = 0;  // reservations taken over the budget
  RunReport scan_report;   // of the last ranking pass
  RunReport merge_report;
  RunReport gather_report;  // of the last gather window
};

// Hands the output to `sink` in batches, in order.
TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options,
                        const std::function<void(const RecordBatch&)>& sink);
// Collects the output into TopNResult::batches.
TopNResult TopNPerGroup(const TableScan& scan, const TopNOptions& options);

}  // namespace sluice
