// NestedColumnReader: reads one nested top-level field (nested_schema.h) of a row group as one
// sluice column: each of its leaves is read record by record (nested_leaf_reader.h) and the
// arrays are assembled from the levels, top down: a node's slots, validity and (for a list or a
// map) offsets come from the levels of its first leaf, and every other leaf below it must place
// as many values, or the column is InvalidData naming it (levels that disagree between leaves).
//
// Ownership: borrows the source, footer and node, which must outlive it.
// Thread safety: one thread per reader.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sluice/io/parquet/nested_leaf_reader.h"
#include "sluice/io/parquet/nested_schema.h"

namespace sluice::parquet {

class NestedColumnReader {
 public:
  NestedColumnReader(RandomAccessSource& source, const ParquetFooter& footer, int row_group,
                     const NestedNode& field, const ColumnReadOptions& options);
  ~NestedColumnReader();

  void StartRowGroup(int row_group);
  // The next `records` rows (fewer only at the end of the chunks).
  Array Read(int64_t records);
  // Reads and drops `records` rows.
  void Skip(int64_t records);
  void CheckFullyRead();
  const NestedNode& node() const { return field_; }

 private:
  Array Assemble(const NestedNode& node);
  LeafRecords& Leaf(int leaf);

  const NestedNode& field_;
  std::vector<int> leaf_ids_;
  std::vector<std::unique_ptr<NestedLeafReader>> leaves_;
  std::vector<LeafRecords> records_;
  Allocator* allocator_;
};

}  // namespace sluice::parquet
