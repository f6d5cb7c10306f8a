// Verification of a compacted partition by content: inputs and outputs are decoded in full and
// reduced to an order-independent digest of their rows (row count, and two sums over the rows'
// XXH64 hashes from table/hash.h), so the outputs must hold exactly the inputs' multiset of rows.
//
// Thread safety: pure functions over files nobody writes meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/table/schema.h"

namespace sluice::compact {

struct RowsDigest {
  int64_t rows = 0;
  uint64_t sum = 0;
  uint64_t mixed_sum = 0;
  bool operator==(const RowsDigest&) const = default;
};

// Reads `columns` (top-level field names: a nested field reads whole) of every file, in this
// order, a batch at a time. A file that lacks a column reads nulls for it, and one whose column
// has a narrower type than `schema`'s (the output's, naming `columns`) reads it widened
// (array_widening.h), so that inputs of an evolving schema hash as the output's rows do. Null
// `schema`: each file as it is.
RowsDigest DigestParquetFiles(const std::vector<std::string>& paths,
                              const std::vector<std::string>& columns,
                              const Schema* schema = nullptr);

// InvalidData naming the partition when the outputs' rows differ from the inputs' (read as the
// first output's schema).
void VerifyOutputs(const std::string& partition, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs,
                   const std::vector<std::string>& columns);

}  // namespace sluice::compact
