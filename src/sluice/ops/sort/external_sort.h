// SortTable: an external merge sort of a TableScan by one or more key columns, each ascending or
// descending, nulls last (DuckDB's default), NaN above +inf, stable (rows with equal keys keep
// their stream order: file, row group, row).
//
// How it runs, inside RunOptions::memory_budget (B):
//   - an eighth of B goes to the scan pipeline (reads and parses in flight); the rest is the
//     sort's own MemoryBudget (held), in which everything the sort holds is reserved before it
//     is allocated: batches and their normalized keys (sort_key_encoder.h, at their largest
//     before encoding), the sort's working space, sorted copies, spill and merge blocks;
//   - sort tasks on the flow executor each fill a chunk (at most held / (4 * threads + 4)
//     bytes, paid about twice over: the batches, their sorted copy and the sort's entries),
//     then sort it and gather its rows in order into blocks of batch_bytes (in parallel), so a
//     run is read front to back by every merge;
//   - when the budget is full, the task that needs memory sorts its chunk and spills the
//     largest run held in memory as it is, then the next largest, until its batch fits, as long
//     as the spilled runs' readers would take at most an eighth of held; past that, it writes
//     every run held in memory as one spilled run (merged), so spilled runs stay few enough for
//     one final merge. One task spills at a time; other tasks that find no room wait for it. A
//     fixed workspace of a few blocks is set aside at the start for writing spills, so spilling
//     never waits for memory;
//   - the runs are merged through a loser tree (run_merger.h), each spilled run read a block at
//     a time (about kReaderBlocks blocks each, reserved). When the runs held in memory leave too
//     little room for the spilled runs' blocks, the largest spill first (one by one, or all
//     merged past the eighth); when there are still more spilled runs than one merge can read,
//     just enough of the smallest are merged into a longer spilled run first.
// With a limit (a global top-N), every chunk keeps only its first `limit` rows and the merge
// stops after `limit` rows.
// Only a batch larger than what other tasks' filling chunks leave of the budget is admitted over
// it (counted in SortStats::overdrafts).
//
// The sorted rows go to the sink in order, in batches of about batch_bytes, on the calling
// thread. Spill files live in a private directory under spill_dir that is removed on return, on
// an error (the sink's too) and on cancellation.
//
// Thread safety: each call is independent; the sink is called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct SortOptions {
  std::vector<SortKey> keys;
  int64_t limit = -1;  // keep the first `limit` rows only; -1 for all
  RunOptions run;
  std::string spill_dir;    // parent of the job's spill directory; "" for the system temp dir
  int64_t batch_bytes = 0;  // output and spill block size; 0: held budget / 64 in [64 KiB, 4 MiB]
};

struct SortStats {
  int64_t input_rows = 0;
  int64_t output_rows = 0;
  int64_t sorted_bytes = 0;     // of the input's batches with their keys
  int runs = 0;                 // sorted chunks
  int spilled_runs = 0;         // of those, written to disk
  int intermediate_merges = 0;  // merges of spilled runs into longer ones before the last
  int final_fan_in = 0;
  int64_t spilled_bytes = 0;  // spill file bytes written, intermediate merges included
  int64_t chunk_bytes = 0;
  int64_t batch_bytes = 0;
  int64_t held_budget = 0;      // the sort's own share of the budget
  int64_t peak_held_bytes = 0;  // the most it held
  int64_t overdrafts = 0;       // reservations it had to take over its budget
  double seconds = 0;
  RunReport scan_report;

  nlohmann::json ToJson() const;
};

using BatchSink = std::function<void(const RecordBatch&)>;

SortStats SortTable(const TableScan& scan, const SortOptions& options, const BatchSink& sink);

}  // namespace sluice
