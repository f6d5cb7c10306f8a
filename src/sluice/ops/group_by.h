// RunGroupBy: a group-by over a TableScan on the flow executor, inside one memory budget.
//
// Map side: read tasks read units (Parquet row groups decoded, CSV files cut into chunks), parse
// tasks turn CSV chunks into batches, and each aggregate task folds batches into a partial state
// of its own (map-side combining: one entry per group and thread). The partial states share a
// state budget; a partial that does not fit stops taking new groups and spills the rows it
// cannot absorb as runs hash-partitioned into S spill partitions (group_by_partial.h).
//
// Reduce side (group_by_merge.h): the partials are sealed into P hash partitions (P a multiple of S
// when anything spilled, so each spill partition is a whole number of them). The measured size of
// each partition (its partial groups times the bytes a group costs, plus its spilled rows) drives
// coalescing: adjacent partitions share a merge task up to advisory_partition_bytes, within
// [min_partitions, max_partitions] tasks. A merge task merges its partitions of every partial,
// then aggregates its spilled rows. A spill partition far larger than the others (skew) has its
// spilled rows aggregated by several tasks into partials of their own first ("pieces"), which
// the merge then combines. One partial that holds every group (nothing passed on), on one
// thread or in one partition, is the result as it is: no merge runs (a shuffle's reduce task,
// one thread over one hash partition of the data, ends so).
//
// Output: each merge task finishes its state in batches of at most output_batch_rows rows and
// hands them to the sink as it goes (GroupBySink), so the result is never whole in memory; the
// merge pipeline's budget bounds the batches waiting for the sink.
//
// Memory: a quarter of RunOptions::memory_budget (at least 8 MiB or half of it) bounds the
// batches in flight (scan batches, then output batches); the rest bounds group-by state: the map
// side's partials (with their scratch, buffers and rows passed on) take at most half of it,
// charged before each batch; the merges share what the partials leave (group_by_merge.h), charged
// before their states grow, waiting or splitting when it runs out.
//
// P starts at max(cores, rows read / 500,000) within [min, max] partitions.
//
// Thread safety: each call is independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct GroupByOptions {
  int min_partitions = 1;
  int max_partitions = 4096;
  // Coalescing target for one merge task's state.
  int64_t advisory_partition_bytes = 64 << 20;
  // A spill partition is skewed above this many times the median and this size.
  double skew_factor = 5;
  int64_t skew_threshold_bytes = 16 << 20;
  // A partial whose table reaches this many groups while most rows of a batch still make new
  // ones stops growing it and passes the other rows on by partition (high cardinality: map-side
  // aggregation would not reduce them). About a cache's worth of table.
  int64_t partition_first_groups = int64_t{1} << 17;
  // Where spill runs go ("" for the system temp directory); removed when the call returns.
  std::string spill_dir;
  // Rows of one output batch at most (a merge task's result is handed on in such batches).
  int64_t output_batch_rows = 64 * 1024;
  RunOptions run;
};

// One merge task: hash partitions [first, end) of the P sealed ones.
struct GroupByPartitionStats {
  int first = 0;
  int end = 0;
  int64_t partial_groups = 0;  // groups of the partials merged (one key counts once per partial)
  int64_t spilled_rows = 0;
  int64_t spilled_bytes = 0;     // in memory, before compression
  int64_t partitioned_rows = 0;  // passed on in memory by partition-first partials
  int64_t run_bytes = 0;         // spilled and passed-on rows, in memory
  int64_t estimated_bytes = 0;   // what coalescing went by
  int64_t state_bytes = 0;       // the merged state, measured (its largest pass)
  int64_t groups = 0;            // output rows
  int passes = 0;                // merge passes over slices of the hash range (1: none)
  int splits = 0;                // passes dropped and split in two for memory
  bool skewed = false;
  int pieces = 0;  // tasks that pre-aggregated its spilled rows (0: the merge did)
};

struct GroupByResult {
  // The output, when RunGroupBy collects it (without a sink): the sink's batches in the order
  // they came.
  std::vector<RecordBatch> batches;
  std::shared_ptr<const Schema> schema;
  int partitions = 0;        // P, hash partitions of the sealed partials
  int spill_partitions = 0;  // S, or 0 when no rows were passed on in runs
  int64_t input_rows = 0;
  int64_t groups = 0;
  int64_t memory_budget = 0;
  int64_t state_budget = 0;         // the state's part of it
  int64_t partial_state_bytes = 0;  // the map side's states at the end of the scan
  int64_t peak_partial_bytes = 0;   // the most the map side's accounting held
  int64_t max_merge_state_bytes = 0;
  int64_t merge_state_budget = 0;     // what the merges' states shared
  int64_t merge_waits = 0;            // times a merge waited for another's memory
  int64_t merge_splits = 0;           // merge passes split for memory
  int64_t state_overdraft_bytes = 0;  // state held beyond its budget (one batch's growth)
  int64_t spilled_rows = 0;
  // Rows a partial passed on by partition in memory instead of aggregating (high cardinality).
  int64_t partitioned_rows = 0;
  int64_t spilled_file_bytes = 0;
  int64_t spill_runs = 0;
  std::vector<GroupByPartitionStats> tasks;
  RunReport scan_report;   // scan + partial aggregation
  RunReport merge_report;  // partition merges
};

// Receives a group-by's output batches as merge tasks produce them, in no particular order (hash
// partitions finish when they finish), one call at a time, from a pipeline thread. An error it
// throws fails the run.
using GroupBySink = std::function<void(RecordBatch)>;

// The schema of a group-by's output: the keys, then one column per aggregate. The errors of
// RunGroupBy for an unknown column or a bad aggregate.
std::shared_ptr<const Schema> GroupByOutputSchema(const Schema& input, const GroupBySpec& spec);

// The key columns worth reading as dictionary arrays (TableScan::KeepDictionaries): keys no
// aggregate reads, when there are at most three (more keys' dictionaries multiply past what
// the dictionary index serves, and decoding them later costs more than decoding them at once).
std::vector<std::string> DictionaryKeyColumns(const GroupBySpec& spec);

// Hands the output to `sink`; result.batches stays empty.
GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options, const GroupBySink& sink);
// Collects the output in result.batches.
GroupByResult RunGroupBy(const TableScan& scan, const GroupBySpec& spec,
                         const GroupByOptions& options);

}  // namespace sluice
