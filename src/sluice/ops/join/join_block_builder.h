// JoinBlockBuilder: one block of rows of a schema, gathered by row index from batches into column
// buffers that grow in place, and finished as one batch: a Grace partition's buffer
// (join_partitioner.h). Gathering straight into the block allocates nothing per batch, where
// taking each batch's rows as a piece and concatenating the pieces at a flush allocated and copied
// every row twice and left the heap full of small holes.
//
// A nested column (list, struct, map) is gathered by Take into one piece per append and
// concatenated at Finish; its capacity is what its pieces hold.
//
// Capacity: the first rows of a block reserve, per column, its share of `reserve_bytes` (shares as
// in the previous block, or as in those first rows), so a block fills without regrowing.
// capacity_bytes() is what the buffers hold (allocated, not just used); TryAppend appends only
// when the block's capacity stays within a limit.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sluice/table/record_batch.h"

namespace sluice {

class JoinBlockBuilder {
 public:
  JoinBlockBuilder(std::shared_ptr<const Schema> schema, int64_t reserve_bytes);
  ~JoinBlockBuilder();
  JoinBlockBuilder(JoinBlockBuilder&&) noexcept;
  JoinBlockBuilder& operator=(JoinBlockBuilder&&) noexcept;

  int64_t num_rows() const { return rows_; }
  // Bytes allocated by the column buffers now.
  int64_t capacity_bytes() const;

  // Appends rows `rows` of `batch` (of the builder's schema), in that order, unless the block
  // holds rows already and its capacity would pass `limit`; false then, and nothing changes.
  // InvalidArgument when string or binary data of one column would pass 2^31 - 1 bytes.
  bool TryAppend(const RecordBatch& batch, std::span<const int64_t> rows, int64_t limit);
  void Append(const RecordBatch& batch, std::span<const int64_t> rows);
  // The rows appended since the last Finish, as one batch; the builder starts empty.
  RecordBatch Finish();

 private:
  struct Column;
  struct Needs;
  Needs Measure(const RecordBatch& batch, std::span<const int64_t> rows) const;
  void Reserve(const Needs& needs);
  void AppendMeasured(const RecordBatch& batch, std::span<const int64_t> rows, const Needs& needs);
  static void AppendNested(Column& column, const Array& array, std::span<const int64_t> rows);
  static Array FinishNested(Column& column);

  std::shared_ptr<const Schema> schema_;
  int64_t reserve_bytes_;
  std::vector<Column> columns_;
  int64_t rows_ = 0;
};

}  // namespace sluice
