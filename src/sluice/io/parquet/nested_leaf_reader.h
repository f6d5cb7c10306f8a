// NestedLeafReader: reads one leaf column chunk of a nested field record by record: each Read
// returns the repetition and definition levels of the next records and the leaf's values at its
// slots (nested_schema.h: the level entries whose definition level reaches `slot_level`; the value
// is null below the leaf's max definition level). Pages in every encoding and codec, v1 and v2,
// with their dictionary; CRCs checked as ColumnChunkReader does. The whole chunk is fetched.
//
// Levels are checked as they are read: a chunk that starts inside a record, a repetition level
// that continues a list its definition level says is empty, and levels past the leaf's maxima are
// InvalidData with the file, row group, column (the leaf's dotted path) and page. One exception:
// DuckDB writes a null fixed-size array (`INTEGER[3]`) as N entries, the first ending the path at
// the null and the rest repeating the list at that same definition level. An entry that repeats
// a null or empty list at the definition level of the entry before it carries no slot and is
// dropped, as DuckDB reads it; the same entry after any other definition level is still an error.
//
// Ownership: borrows the source and footer, which must outlive it. Thread safety: one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/column_reader.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/scratch_buffer.h"
#include "sluice/table/array.h"

namespace sluice::parquet {

class ColumnAppender;

struct LeafRecords {
  std::vector<int16_t> rep;
  std::vector<int16_t> def;
  std::optional<Array> values;  // one per slot
};

class NestedLeafReader {
 public:
  // `repeated_def[r]` is the definition level of the repeated field at repetition level r
  // (index 0 unused): an entry repeating level r has at least that definition level.
  NestedLeafReader(RandomAccessSource& source, const ParquetFooter& footer, int row_group,
                   int column, int16_t slot_level, std::vector<int16_t> repeated_def,
                   const ColumnReadOptions& options);
  ~NestedLeafReader();
  NestedLeafReader(const NestedLeafReader&) = delete;
  NestedLeafReader& operator=(const NestedLeafReader&) = delete;

  void StartRowGroup(int row_group);
  // The next `records` records (fewer only at the end of the chunk); `out` is overwritten.
  void Read(int64_t records, LeafRecords* out);
  // InvalidData unless every value the chunk's metadata declares has been read.
  void CheckFullyRead();
  const ColumnType& type() const { return type_; }
  const ColumnDescriptor& column() const { return column_; }
  Error AddContext(Error error) const;

 private:
  bool NextDataPage();
  void StartDataPage(const RawPage& page);
  // Entries [pos_, end) of the current page into `out`: levels, then the values at their slots.
  void Take(int64_t end, LeafRecords* out);

  RandomAccessSource& source_;
  const ParquetFooter& footer_;
  const ColumnDescriptor& column_;
  int column_index_;
  int row_group_ = -1;
  int16_t slot_level_;
  std::vector<int16_t> repeated_def_;
  ColumnReadOptions options_;
  ColumnType type_;
  const ColumnMetaData* meta_ = nullptr;
  ScratchBuffer chunk_;
  std::unique_ptr<Codec> codec_;
  std::optional<PageIterator> pages_;
  PhysicalValues dictionary_;
  bool has_dictionary_ = false;
  bool seen_data_page_ = false;
  int64_t page_index_ = -1;
  ScratchBuffer page_bytes_;
  PageValueDecoder values_decoder_;
  // The current page's levels, decoded whole, and the next entry.
  std::vector<int16_t> page_rep_;
  std::vector<int16_t> page_def_;
  int64_t pos_ = 0;
  int64_t values_read_ = 0;   // level entries read, over the chunk
  int16_t previous_def_ = 0;  // the definition level of the entry before the next one
  std::vector<uint8_t> valid_bits_;
  PhysicalValues values_;
  ScratchBuffer fixed_values_;
  std::unique_ptr<ColumnAppender> appender_;
};

}  // namespace sluice::parquet
