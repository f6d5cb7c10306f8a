// SlotRows: rows of one schema held column-wise in numbered cells that are overwritten in place.
// Top-N gives each group N cells: a row that enters a group is scattered into the cell of the
// row it pushes out, so the rows kept never move, are never compacted, and the memory is
// allocated once per group instead of per batch. Gather makes a batch of any cells.
//
// Per column: one validity byte per cell and a flat array of values (bools one byte; strings and
// binaries a 16-byte cell with the length and, up to 12 bytes, the value inline, else an offset
// into an arena; the arena is compacted when more than half of it is dead).
//
// Thread safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sluice/base/large_pages.h"
#include "sluice/table/record_batch.h"

namespace sluice {

class SlotRows {
 public:
  explicit SlotRows(std::shared_ptr<const Schema> schema);

  int64_t cells() const { return cells_; }
  // New cells hold nulls.
  void Resize(int64_t cells);

  // Copies row rows[i] of `batch` (of the schema) into cell cells[i], for every i.
  void Scatter(const RecordBatch& batch, std::span<const uint32_t> rows,
               std::span<const uint32_t> cells);
  // A batch of the given cells' rows, in that order. InvalidArgument naming the column when a
  // string column's bytes exceed 32-bit offsets.
  RecordBatch Gather(std::span<const uint32_t> cells) const;

  // Memory held.
  int64_t ByteSize() const;

 private:
  static constexpr uint32_t kInline = 12;
  // A longer value keeps its arena offset in bytes[4..12).
  struct StringCell {
    uint32_t length;
    char bytes[kInline];
  };
  static_assert(sizeof(StringCell) == 16);

  struct Column {
    Layout layout;
    int width = 0;                // bytes a cell takes in values
    LargeVector<uint8_t> valid;   // 1: valid
    LargeVector<uint8_t> values;  // width bytes per cell
  };

  void ScatterStrings(const Array& array, Column& column, std::span<const uint32_t> rows,
                      std::span<const uint32_t> cells);
  void CompactArena();

  std::shared_ptr<const Schema> schema_;
  int64_t cells_ = 0;
  std::vector<Column> columns_;
  std::vector<char> arena_;  // strings longer than kInline
  int64_t dead_bytes_ = 0;   // arena bytes no cell refers to
};

}  // namespace sluice
