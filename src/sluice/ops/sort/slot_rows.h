// SlotRows: rows of one schema held in numbered cells that are overwritten in place. Top-N gives
// each group N cells: a row that enters a group is scattered into the cell of the row it pushes
// out, so the rows kept never move, are never compacted, and the memory grows with the groups,
// not per batch. Gather makes a batch of any cells.
//
// A cell is one fixed-size record: a validity byte per column, then each column's value (bools
// one byte; strings and binaries 16 bytes: the length and, up to 12 bytes, the value inline, else
// an offset into an arena that is compacted when more than half of it is dead). Records, not
// columns: scattering a row into a random cell touches one or two cache lines, not one per
// column. The records live in one block, on huge pages once large (base/large_pages.h), so the
// first touch of a large table is not a page fault per 4 KiB.
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

  // Copies row rows[i] of `batch` (of the schema) into cell cells[i], for every i in order (a
  // cell named twice keeps the later row).
  void Scatter(const RecordBatch& batch, std::span<const uint32_t> rows,
               std::span<const uint32_t> cells);
  // A batch of the given cells' rows, in that order. InvalidArgument naming the column when a
  // string column's bytes exceed 32-bit offsets.
  RecordBatch Gather(std::span<const uint32_t> cells) const;
  // The same over cells of several SlotRows of one schema: refs[i] is cell `cell` of
  // sources[source].
  struct Ref {
    uint32_t source;
    uint32_t cell;
  };
  static RecordBatch Gather(std::span<const SlotRows* const> sources, std::span<const Ref> refs);

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

  struct BlockFree {
    size_t bytes;  // value-initialized (0) by unique_ptr
    void operator()(uint8_t* data) const { FreeLarge(data, bytes); }
  };
  using Block = std::unique_ptr<uint8_t[], BlockFree>;

  struct Column {
    Layout layout;
    int width = 0;   // bytes of the value in a record
    int offset = 0;  // of the value in a record; the validity byte is at the column's index
  };

  uint8_t* record(uint32_t cell) { return records_.get() + size_t{cell} * record_bytes_; }
  const uint8_t* record(uint32_t cell) const {
    return records_.get() + size_t{cell} * record_bytes_;
  }
  void ScatterColumn(const Array& array, int c, std::span<const uint32_t> rows,
                     std::span<const uint32_t> cells);
  void CompactArena();

  std::shared_ptr<const Schema> schema_;
  std::vector<Column> columns_;
  size_t record_bytes_ = 0;
  int64_t cells_ = 0;
  Block records_;
  std::vector<char> arena_;  // strings longer than kInline
  int64_t dead_bytes_ = 0;   // arena bytes no cell refers to
};

}  // namespace sluice
