// The user's side of a batched job: what a task gets and returns for one chunk.
//
// A batched task is a function from the chunk's input tables (one per named input, holding only
// the rows whose grouping columns hash into this chunk) to an output table. It runs once per
// chunk, possibly many chunks at once on different threads, so it must be safe to call
// concurrently and must only combine rows that share grouping values (then running it per chunk
// gives the rows running it once over everything would). Rows arrive in no particular order.
//
// A file task is the same contract over files: it reads one Parquet file per input and writes
// one Parquet file (the `sluice batch -- CMD {input} {output}` case).
//
// Thread safety: plain values; tasks are called concurrently from pipeline threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// Record batches of one schema. A null schema means "no rows and no known schema" (a task may
// return {} for a chunk without output); an empty table with a schema is written as an empty file.
struct ChunkTable {
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;

  ChunkTable() = default;
  // The schema is the first batch's (null when there is none).
  ChunkTable(std::vector<RecordBatch> batches);  // NOLINT: a task may return its batches as-is
  ChunkTable(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches);

  int64_t num_rows() const;
};

// One chunk's inputs, by input name. Every input of the job is present (with zero batches when
// none of its rows fall in this chunk).
struct ChunkInputs {
  int chunk = 0;
  int chunks = 0;
  std::map<std::string, ChunkTable, std::less<>> tables;

  // NotFound naming the inputs there are.
  const ChunkTable& at(std::string_view input) const;
};

// One chunk's inputs as files, for tasks run outside the process.
struct ChunkFiles {
  int chunk = 0;
  int chunks = 0;
  int64_t attempt = 0;
  std::map<std::string, std::string, std::less<>> inputs;  // input name -> Parquet file (always
                                                           // exists, maybe with zero rows)
  std::string output;                                      // the Parquet file the task must write
  CancellationToken cancel;
};

using TableTask = std::function<ChunkTable(const ChunkInputs&)>;
using FileTask = std::function<void(const ChunkFiles&)>;

}  // namespace sluice
