// Verification of a compacted partition by content: inputs and outputs are decoded in full and
// reduced to an order-independent digest of their rows (row count, and two sums over the rows'
// XXH64 hashes from table/hash.h), so the outputs must hold exactly the inputs' multiset of rows.
//
// Thread safety: pure functions over files nobody writes meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_gate.h"
#include "sluice/table/schema.h"

namespace sluice::compact {

struct RowsDigest {
  int64_t rows = 0;
  uint64_t sum = 0;
  uint64_t mixed_sum = 0;
  bool operator==(const RowsDigest&) const = default;
};

// Reads `columns` (top-level field names: a nested field reads whole) of every file, in this
// order, a row group at a time and within it a column at a time (one column chunk held at once). A
// file that lacks a column reads nulls for it, and one whose column has a narrower type than
// `schema`'s (the output's, naming `columns`) reads it widened (array_widening.h), so that inputs
// of an evolving schema hash as the output's rows do. Null `schema`: each file as it is.
// With a `gate`, each column chunk's read holds its bytes there first (its stored and decoded
// sizes, and the row group's hashes): verification runs beside the compaction of other partitions
// and takes its memory from the same share. Cancelled when `cancel` fires while waiting for room.
RowsDigest DigestParquetFiles(const std::vector<std::string>& paths,
                              const std::vector<std::string>& columns,
                              const Schema* schema = nullptr, MemoryGate* gate = nullptr,
                              const CancellationToken& cancel = {});

// InvalidData naming the partition when the outputs' rows differ from the inputs' (read as the
// first output's schema). `gate` and `cancel` as DigestParquetFiles's.
void VerifyOutputs(const std::string& partition, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, const std::vector<std::string>& columns,
                   MemoryGate* gate = nullptr, const CancellationToken& cancel = {});

}  // namespace sluice::compact
