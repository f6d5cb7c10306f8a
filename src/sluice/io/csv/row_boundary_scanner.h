// RowBoundaryScanner: finds where rows end in a stream of CSV bytes without tokenizing fields,
// so a file can be cut into chunks that each start at a row start and be parsed in parallel.
// A newline ends a row only outside quotes; the scanner carries the quote state from one call
// to the next, so a quoted newline across a chunk boundary is never taken for a row end. It
// follows the tokenizer's quoting rule exactly (csv_dialect.h), strict or lenient.
//
// Speed: strict quoting without an escape or comment character classifies 64 bytes at a time
// (SSE2 compares, a prefix-XOR of the quote mask gives the in-quotes mask), several GB/s;
// otherwise a byte loop (lenient quoting steps LenientQuotes, whose state depends on where
// fields start).
//
// Thread safety: one scanner per stream; not shared.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/io/csv/csv_dialect.h"
#include "sluice/io/csv/lenient_quotes.h"

namespace sluice::csv {

class RowBoundaryScanner {
 public:
  explicit RowBoundaryScanner(const CsvDialect& dialect);

  struct Result {
    int64_t last_row_end = -1;        // offset just past the last row-ending '\n'; -1: none
    int64_t newlines_before_end = 0;  // '\n' bytes in [0, last_row_end)
    int64_t newlines = 0;             // all '\n' bytes scanned
    int64_t row_ends = 0;             // row-ending newlines (rows, comment and blank lines)
  };
  // Scans the next bytes of the stream, continuing from the state the last call left.
  Result Scan(const char* data, size_t size);
  bool in_quotes() const { return dialect_.lenient_quotes ? lenient_.in_quotes() : in_quotes_; }

 private:
  Result ScanBytewise(const char* data, size_t size);
  Result ScanWords(const char* data, size_t size);
  Result ScanLenient(const char* data, size_t size);

  CsvDialect dialect_;
  bool fast_;
  bool in_quotes_ = false;
  bool escape_pending_ = false;
  bool at_line_start_ = true;
  bool in_comment_ = false;
  LenientQuotes lenient_;  // the quote state under lenient quoting
};

}  // namespace sluice::csv
