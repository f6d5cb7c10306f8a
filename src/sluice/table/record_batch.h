// RecordBatch: a schema plus one Array per field, all of the same length. The unit of data that
// flows between sluice stages. Immutable; copying shares the arrays' buffers.
//
// ByteSize(batch) is the memory the batch keeps alive: the capacity of each distinct buffer its
// columns reference, counted once even when several columns share it, and counted whole even when
// the batch is a slice (a zero-copy slice holds its parent's buffers; the budget must see that
// memory until the slice is gone). The flow executor finds it by argument-dependent lookup.
//
// Thread safety: immutable; safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sluice/table/array.h"
#include "sluice/table/schema.h"

namespace sluice {

class RecordBatch {
 public:
  // Checks column count, types, lengths, and that non-nullable fields hold no nulls
  // (InvalidArgument naming the column). num_rows is only needed for a batch without columns.
  static RecordBatch Make(std::shared_ptr<const Schema> schema, std::vector<Array> columns,
                          int64_t num_rows = -1);
  static RecordBatch Make(Schema schema, std::vector<Array> columns, int64_t num_rows = -1) {
    return Make(std::make_shared<const Schema>(std::move(schema)), std::move(columns), num_rows);
  }

  const Schema& schema() const { return *schema_; }
  const std::shared_ptr<const Schema>& shared_schema() const { return schema_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  int64_t num_rows() const { return num_rows_; }
  const Array& column(int i) const { return columns_.at(static_cast<size_t>(i)); }
  const std::vector<Array>& columns() const { return columns_; }
  // NotFound naming the column when absent.
  const Array& column(std::string_view name) const;

  // Rows [offset, offset + length), zero-copy. InvalidArgument when out of range.
  RecordBatch Slice(int64_t offset, int64_t length) const;

 private:
  RecordBatch(std::shared_ptr<const Schema> schema, std::vector<Array> columns, int64_t num_rows)
      : schema_(std::move(schema)), columns_(std::move(columns)), num_rows_(num_rows) {}

  std::shared_ptr<const Schema> schema_;
  std::vector<Array> columns_;
  int64_t num_rows_;
};

int64_t ByteSize(const RecordBatch& batch);
// The distinct buffers the batch's columns hold (shared ones once), what ByteSize sums.
std::vector<const Buffer*> DistinctBuffers(const RecordBatch& batch);

}  // namespace sluice
