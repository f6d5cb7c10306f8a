// RowSetFingerprint: a fingerprint of a multiset of rows that does not depend on their order, so
// the split phase (which writes a chunk's rows in whatever order threads deliver them) gives the
// same fingerprint to the same rows on every run. It is what a chunk's cache key sees of an input.
//
// Definition: over the rows' full-row hashes h0 = HashRows(all columns, seed 0) and
// h1 = HashRows(all columns, seed 1) (table/hash.h), the fingerprint is XXH64 over the schema's
// text, the row count, sum(h0) and sum(h1) mod 2^64. Two different multisets collide only if both
// 64-bit sums collide at once. Adding rows is commutative, so batches may be added from any thread
// in any order.
//
// Thread safety: Add may be called concurrently (atomic sums); Hex after the last Add.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "sluice/table/record_batch.h"

namespace sluice::batch {

class RowSetFingerprint {
 public:
  void Add(const RecordBatch& batch);
  int64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  // 16 hex digits.
  std::string Hex(const Schema& schema) const;

 private:
  std::atomic<int64_t> rows_{0};
  std::atomic<uint64_t> sum0_{0};
  std::atomic<uint64_t> sum1_{0};
};

}  // namespace sluice::batch
