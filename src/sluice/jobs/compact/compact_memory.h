// How `sluice compact` spends its memory budget (--memory). Column chunks are compacted one at a
// time per output file and their output goes to the file piece by piece, so what a task holds is
// one column chunk's inputs, not a whole row group; each takes a MemoryGate hold of
// ColumnWorkBytes before its buffers are allocated.
//
//   pipeline  an eighth (1 to 64 MiB): the flow executor's items (partitions, listings, footers,
//             file tasks)
//   columns   five eighths: the column chunks being compacted (compact_pipeline.h's MemoryGate),
//             and those --verify reads back (compact_verify.h), one column chunk at a time;
//             with --sort-by or --zorder-by, the partitions being sorted (each takes an equal
//             part: one per core); two eighths when the inputs are on an object store and pages
//             are copied, whose row groups' input files are fetched whole (whole_inputs.h) into
//   whole inputs  the other three eighths (0 for local inputs)
//   rest      what neither counts: footers kept for planning and writing, codec contexts, the
//             ledger, and the heap's free memory kept for reuse
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>

namespace sluice::compact {

struct CompactMemoryShares {
  int64_t pipeline = 0;
  int64_t columns = 0;
  int64_t whole_inputs = 0;
};

CompactMemoryShares SplitCompactMemory(int64_t budget, bool remote_inputs = false);

// The output of a column chunk is handed to the file in pieces of this many bytes (and a page).
inline constexpr int64_t kOutputPieceBytes = int64_t{1} << 20;

// The bytes to hold while one column chunk is compacted: its inputs as read, an output piece, the
// page buffers of decompression and recompression, and, when the inputs carry dictionary pages
// (`dictionary_bytes` of them), those dictionaries decoded and the merged one.
int64_t ColumnWorkBytes(int64_t input_bytes, int64_t dictionary_bytes,
                        int64_t max_dictionary_bytes);

}  // namespace sluice::compact
