// The split phase of a batched job: every input is read once and its rows are written into one
// Parquet file per chunk (chunking.h decides the chunk), <dir>/<input>/chunk-NNNNN.parquet, so the
// compute phase can read one chunk of every input without reading anything else. Every
// (input, chunk) file exists afterwards, empty when no row fell into it, so a command task always
// finds its input files.
//
// It is one flow pipeline: units (source) -> read (I/O: a Parquet row group or a CSV file's
// chunks) -> split (CPU: parse, hash the grouping columns, take each chunk's rows, fingerprint
// them) -> spill (I/O: append to the chunk's file writer). The run's memory budget is shared out
// by split_memory.h: the writers' row groups and encoders get their share (which sets their row
// group size), the reads theirs (which sets how many run at once), and the executor, whose items
// report their bytes, the rest. Files are written under temporary names and renamed when
// complete.
//
// Thread safety: SplitIntoChunks runs its own threads; call it from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/ops/table_scan.h"

namespace sluice::batch {

struct SplitSource {
  std::string name;
  std::shared_ptr<TableScan> scan;
  std::vector<int> by_columns;
  int64_t unit_read_bytes = 0;  // what reading one unit holds (batch_input.h's UnitReadBytes)
};

struct SplitChunk {
  std::string path;
  int64_t rows = 0;
  std::string fingerprint;  // RowSetFingerprint of its rows (row_set_fingerprint.h)
};

struct SplitResult {
  std::vector<std::vector<SplitChunk>> chunks;  // [input][chunk]
  int64_t rows = 0;
  RunReport report;
};

SplitResult SplitIntoChunks(const std::vector<SplitSource>& sources, int chunks,
                            const std::filesystem::path& dir, const RunOptions& run);

// "chunk-00007.parquet".
std::string ChunkFileName(int chunk);

}  // namespace sluice::batch
