// JoinBuildSize: the sizes of a join's build rows, summed batch by batch as they are collected
// (a Grace partition's runs, an in-memory partition's pieces), and from them the memory a
// JoinTable built from those rows holds at most, while it is built and afterwards. Join memory is
// charged with this bound *before* a table is built, so a table never holds more than it was
// granted.
//
// What a JoinTable holds (join_table.h): the build rows concatenated into one batch (their bytes,
// plus, while concatenating, one column's worth of both copies), the GroupTable (slots, key views,
// hashes and the arena of encoded keys: at most the keys' encoded bytes, as if all distinct, plus
// the arena's growth slack), a chain head per group and a chain link per row, and a matched flag
// per row when the join owes build rows. Blocks of 4 MiB and more live on huge pages
// (base/large_pages.h) and are resident in whole 2 MiB pages, which the bound counts.
//
// Thread safety: a plain value; Add and Merge need exclusive access.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/table/record_batch.h"

namespace sluice {

struct JoinBuildSize {
  int64_t rows = 0;
  int64_t bytes = 0;      // ByteSize of the batches as collected
  int64_t key_bytes = 0;  // KeyEncoder bytes of their keys (exact without nulls, above with)
  std::vector<int64_t> column_bytes;  // per column

  // Adds a batch whose key columns are `keys`.
  void Add(const RecordBatch& batch, const std::vector<int>& keys);
  void Merge(const JoinBuildSize& other);

  int64_t max_column_bytes() const;
  // The most a JoinTable built from these rows holds at any time, with matched flags or not.
  int64_t TableBytes(bool tracks_matches) const;
};

// Bytes a KeyEncoder writes for the key columns `keys` of `batch` (one null flag per column and
// row; a valid value's width, or 4 + its length for strings), counting null rows as valid.
int64_t EncodedKeyBytes(const RecordBatch& batch, const std::vector<int>& keys);

// The memory an allocation of `bytes` keeps resident: whole 2 MiB pages from 4 MiB up
// (base/large_pages.h), else the bytes.
int64_t ResidentBytes(int64_t bytes);

}  // namespace sluice
