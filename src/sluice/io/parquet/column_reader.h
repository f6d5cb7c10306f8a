// ColumnChunkReader: reads one flat column chunk of one row group into sluice Arrays, a bounded
// number of rows at a time. It fetches the chunk's bytes with one ranged read, walks its pages
// (dictionary, data v1 and v2, skipping index pages), verifies page CRCs unless told not to,
// decompresses, decodes levels and values in any encoding, and converts the physical values to
// the column's sluice type (column_type.h).
//
// Every failure is an Error carrying the file, row group, column and, where one applies, the
// page; malformed data is InvalidData. Memory is bounded by the chunk's stored size, one page's
// uncompressed size (at most `max_page_size`) and the requested batch.
//
// A reader can move on to the same column of another row group (StartRowGroup), keeping its
// chunk, page and scratch buffers: reading a file's row groups one after another then allocates
// and zeroes nothing per page.
//
// Given a row selection (row_selection.h), a reader returns only the selected rows, so readers of
// different columns stay row-aligned although their pages end at different rows. With the
// chunk's offset index it fetches only the dictionary page and the pages that hold selected
// rows; without one it fetches the whole chunk. Either way a page none of whose rows is selected
// is neither decompressed nor decoded, and only the pages that hold both selected and other rows
// decode the others to drop them.
//
// Ownership: borrows the source and footer, which must outlive it; the Arrays it returns own
// their buffers (from `allocator`). Thread safety: one thread per reader; distinct readers on
// one source may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/row_selection.h"
#include "sluice/io/parquet/scratch_buffer.h"
#include "sluice/table/allocator.h"
#include "sluice/table/array.h"

namespace sluice::parquet {

struct ColumnReadOptions {
  // Check the CRC of pages whose header carries one (InvalidData on a mismatch).
  bool verify_crc = true;
  // Pages claiming more uncompressed bytes than this are refused rather than allocated.
  int64_t max_page_size = 256 << 20;
  Allocator* allocator = Allocator::Default();
  // The unit INT96 timestamps are read at; nanoseconds (the common reading) cannot hold Spark's
  // dates past 2262, microseconds (Spark's own) can.
  sluice::TimeUnit int96_unit = sluice::TimeUnit::kNano;
  // Return batches whose values all come from dictionary-encoded pages as dictionary arrays
  // (indices into the chunk's dictionary, table/dictionary.h) instead of decoding the values; a
  // batch that reaches a page in another encoding is decoded whole.
  bool keep_dictionary = false;
};

class ColumnAppender;

class ColumnChunkReader {
 public:
  // Reads the chunk's bytes. NotSupported for nested columns, InvalidData for a bad chunk.
  // `rows`: the rows of the row group to return (normalized, copied); null for all.
  ColumnChunkReader(RandomAccessSource& source, const ParquetFooter& footer, int row_group,
                    int column, const ColumnReadOptions& options = {},
                    const RowRanges* rows = nullptr);
  ~ColumnChunkReader();
  ColumnChunkReader(const ColumnChunkReader&) = delete;
  ColumnChunkReader& operator=(const ColumnChunkReader&) = delete;

  // Moves to this column in row group `row_group` of the same file, dropping what is left of the
  // current chunk (call CheckFullyRead first to check it). `rows` as the constructor's.
  void StartRowGroup(int row_group, const RowRanges* rows = nullptr);

  const ColumnType& type() const { return type_; }
  // The next up to `max_rows` values (of selected rows); a shorter array only at the end of the
  // chunk (or of the selection).
  Array Read(int64_t max_rows);
  // Data pages neither decompressed nor decoded because they hold no selected row (fetched or
  // not), over every row group this reader has read.
  int64_t pages_skipped() const { return pages_skipped_; }
  // InvalidData unless the pages held exactly the values the chunk's metadata declares and all
  // of them have been read.
  void CheckFullyRead();

 private:
  // Fetches the whole chunk.
  void LoadChunk(const ColumnChunkRange& range);
  // Fetches the dictionary page and the pages holding selected rows, by the chunk's offset
  // index; false (nothing fetched) when there is no usable one or every page is needed.
  bool LoadSelectedPages(const ColumnChunkRange& range);
  // Moves to the next data page holding values; false at the end of the chunk. Data pages whose
  // rows all lie before row `pass_until` are passed over undecoded.
  bool NextDataPage(int64_t pass_until = -1);
  // Moves the row counter to a data page's first row; true when the page is passed over.
  bool PassOverPage(const PageHeader& header, int64_t pass_until);
  void StartDataPage(const RawPage& page);
  // Selection: moves to the next selected row and returns how many selected rows follow in a
  // row (0 at the end), with a page started.
  int64_t SeekSelected();
  // Selection: moves the row counter to `target`, dropping rows.
  void PassOver(int64_t target);
  // Whether a value is ready to read (moving to it).
  bool AtValue();
  // The current page's next `count` definition levels as validity bits: the number of non-null
  // values, with `valid` set unless all are non-null.
  int64_t DecodeValidity(int64_t count, const uint8_t** valid);
  // Decodes and drops the current page's next `count` values.
  void DiscardValues(int64_t count);
  Error AddContext(Error error) const;

  // Read's loop: values into `appender_`, or indices into `index_appender_` while the pages are
  // dictionary-encoded (returns early, at the first page that is not, when `indices` is set).
  int64_t ReadInto(int64_t max_rows, bool indices);
  // A batch of dictionary indices, decoded when it runs into a page of another encoding.
  Array ReadDictionaryBatch(int64_t max_rows);
  const std::shared_ptr<const Array>& DictionaryArray();

  RandomAccessSource& source_;
  const ParquetFooter& footer_;
  const std::string& file_;
  const ColumnDescriptor& column_;
  int column_index_;
  const ColumnMetaData* meta_ = nullptr;
  int row_group_ = -1;
  ColumnReadOptions options_;
  ColumnType type_;
  ScratchBuffer chunk_;
  std::unique_ptr<Codec> codec_;
  std::optional<PageIterator> pages_;
  PhysicalValues dictionary_;
  bool has_dictionary_ = false;
  bool seen_data_page_ = false;
  int64_t page_index_ = -1;
  ScratchBuffer page_bytes_;
  // The current data page: values (levels) not yet read, and its decoders.
  int64_t page_left_ = 0;
  LevelDecoder definition_levels_;
  PageValueDecoder values_decoder_;
  int64_t values_read_ = 0;  // values read or passed over: the chunk's row of the next value
  // Row selection: the ranges, the next one, and the first row of each data page fetched when
  // the offset index chose them (empty when the whole chunk was fetched).
  bool selecting_ = false;
  RowRanges ranges_;
  size_t next_range_ = 0;
  bool fetched_subset_ = false;
  std::vector<int64_t> fetched_first_rows_;
  size_t fetched_page_ = 0;
  int64_t pages_skipped_ = 0;
  // Per-batch scratch.
  std::vector<uint8_t> valid_bits_;
  PhysicalValues values_;
  ScratchBuffer fixed_values_;
  std::unique_ptr<ColumnAppender> appender_;
  // keep_dictionary: the chunk's dictionary as an Array, and the batch's indices.
  std::shared_ptr<const Array> dictionary_array_;
  std::unique_ptr<ColumnAppender> index_appender_;
};

}  // namespace sluice::parquet
