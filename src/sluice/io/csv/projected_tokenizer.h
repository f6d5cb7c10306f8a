// ProjectedTokenizer: reads one column out of a chunk of CSV rows without building the others.
// Callers that need a single field per row (the bloom job) skip CsvTokenizer's per-field work:
// no field vector, no unescaping of the columns they do not read.
//
// How: 64 bytes at a time it classifies quotes, delimiters, LF and CR (SSE2), turns the quote
// mask into an in-quotes mask (prefix XOR, the RowBoundaryScanner's rule), and walks only the
// delimiters and newlines outside quotes. The same masks check quote placement: an opening quote
// must start a field (or follow a closing quote: a doubled quote), a closing quote must be
// followed by a delimiter, a newline, CRLF or another quote. A row that fails a check, has the
// wrong field count, is blank, or whose value the caller refuses is tokenized again by
// CsvTokenizer on just that row's bytes and handed over in full, so every row the caller sees is
// exactly what CsvTokenizer would give, with the same line numbers (a randomized test compares
// the two on malformed text).
//
// Dialects with an escape or comment character or lenient quoting are not handled (Supports()
// is false); use
// CsvTokenizer for those.
//
// Ownership: the chunk is only read (it may be a read-only file mapping). Values are views into
// it, or into the tokenizer's scratch when quoted with doubled quotes; fallback rows are views
// into a copy of the row; both valid during the callback. Thread safety: one tokenizer per thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "sluice/io/csv/csv_dialect.h"
#include "sluice/io/csv/csv_tokenizer.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::csv {

class ProjectedTokenizer {
 public:
  static bool Supports(const CsvDialect& dialect);
  // `column` (0-based) is handed out for rows of exactly `num_fields` fields.
  ProjectedTokenizer(const CsvDialect& dialect, int column, int num_fields);

  // Tokenizes data[0, size), which starts at a row start on physical line first_line. Calls
  // on_value(const CsvField& value, int64_t line) -> bool for each well-formed row (false: hand
  // this row to on_row instead), and on_row(const CsvRow&) for every other row.
  template <typename OnValue, typename OnRow>
  void Tokenize(const char* data, size_t size, int64_t first_line, OnValue&& on_value,
                OnRow&& on_row);

 private:
  struct Masks {
    uint64_t quotes;
    uint64_t delimiters;
    uint64_t newlines;
    uint64_t crs;
  };
  Masks Classify(const char* p) const;
  // The value in [begin, end) of one field: quotes stripped, doubled quotes collapsed.
  CsvField Value(const char* begin, const char* end);

  CsvDialect dialect_;
  int column_;
  int num_fields_;
  CsvTokenizer fallback_;
  std::string scratch_;   // a value with doubled quotes, unescaped
  std::string row_copy_;  // a row for the fallback, which unescapes in place
};

// ---- implementation (inline so callbacks inline into the loop) ----

namespace projected_tokenizer_internal {

// Bit i of the result is the XOR of bits 0..i of x.
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}
// Bits [0, b] set.
inline uint64_t UpTo(int b) { return b == 63 ? ~uint64_t{0} : (uint64_t{2} << b) - 1; }

}  // namespace projected_tokenizer_internal

inline ProjectedTokenizer::Masks ProjectedTokenizer::Classify(const char* p) const {
  Masks m{0, 0, 0, 0};
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8(dialect_.quote);
  const __m128i d = _mm_set1_epi8(dialect_.delimiter);
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto bits = [&](__m128i c) {
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c))))
             << (16 * k);
    };
    m.quotes |= bits(q);
    m.delimiters |= bits(d);
    m.newlines |= bits(nl);
    m.crs |= bits(cr);
  }
#else
  for (int i = 0; i < 64; ++i) {
    m.quotes |= static_cast<uint64_t>(p[i] == dialect_.quote) << i;
    m.delimiters |= static_cast<uint64_t>(p[i] == dialect_.delimiter) << i;
    m.newlines |= static_cast<uint64_t>(p[i] == '\n') << i;
    m.crs |= static_cast<uint64_t>(p[i] == '\r') << i;
  }
#endif
  if (dialect_.quote == '\0') m.quotes = 0;
  return m;
}

inline CsvField ProjectedTokenizer::Value(const char* begin, const char* end) {
  CsvField f;
  const char quote = dialect_.quote;
  if (quote != '\0' && begin < end && *begin == quote) {
    // Quote placement was checked: the value ends with the closing quote.
    ++begin;
    --end;
    f.quoted = true;
    const void* q = std::memchr(begin, quote, static_cast<size_t>(end - begin));
    if (q != nullptr) {
      scratch_.clear();
      for (const char* p = begin; p < end; ++p) {
        scratch_.push_back(*p);
        if (*p == quote) ++p;  // the second of a doubled pair
      }
      f.data = scratch_.data();
      f.size = static_cast<uint32_t>(scratch_.size());
      return f;
    }
  }
  f.data = begin;
  f.size = static_cast<uint32_t>(end - begin);
  return f;
}

template <typename OnValue, typename OnRow>
void ProjectedTokenizer::Tokenize(const char* data, size_t size, int64_t first_line,
                                  OnValue&& on_value, OnRow&& on_row) {
  using projected_tokenizer_internal::PrefixXor;
  using projected_tokenizer_internal::UpTo;
  auto fallback = [&](size_t begin, size_t end, int64_t line) {
    row_copy_.assign(data + begin, end - begin);
    fallback_.Tokenize(row_copy_.data(), row_copy_.size(), line, [&](const CsvRow& row) {
      on_row(row);
      return true;
    });
  };
  const int column = column_;
  const int last_field = num_fields_ - 1;

  // Carries from the previous block.
  uint64_t inside_carry = 0;    // all ones when the block starts inside quotes
  uint64_t struct_carry = 1;    // the byte before was a delimiter or newline (or chunk start)
  uint64_t close_carry = 0;     // the byte before was a closing quote
  uint64_t cr_close_carry = 0;  // the byte before was a CR right after a closing quote

  // The current row.
  size_t row_start = 0;
  int64_t row_line = first_line;
  int field = 0;
  size_t value_begin = 0;
  size_t value_end = 0;
  bool row_bad = false;
  int64_t row_quoted_newlines = 0;  // a row spans 1 + this many lines

  char tail[64];
  for (size_t base = 0; base < size; base += 64) {
    const char* p = data + base;
    const size_t n = size - base;
    uint64_t valid = ~uint64_t{0};
    if (n < 64) {
      std::memset(tail, 0, sizeof(tail));
      std::memcpy(tail, p, n);
      p = tail;
      valid = (uint64_t{1} << n) - 1;
    }
    Masks m = Classify(p);
    m.quotes &= valid;
    m.delimiters &= valid;
    m.newlines &= valid;
    m.crs &= valid;

    const uint64_t inside = PrefixXor(m.quotes) ^ inside_carry;
    inside_carry = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
    const uint64_t structural = (m.delimiters | m.newlines) & ~inside;
    const uint64_t opening = m.quotes & inside;
    const uint64_t closing = m.quotes & ~inside;
    const uint64_t after_struct = (structural << 1) | struct_carry;
    struct_carry = structural >> 63;
    const uint64_t after_close = (closing << 1) | close_carry;
    close_carry = closing >> 63;
    const uint64_t cr_close = after_close & m.crs;
    const uint64_t after_cr_close = (cr_close << 1) | cr_close_carry;
    cr_close_carry = cr_close >> 63;
    uint64_t bad = (opening & ~(after_struct | after_close)) |
                   (after_close & ~(structural | opening | m.crs)) | (after_cr_close & ~m.newlines);
    bad &= valid;
    // Newlines inside quotes are rare: counted only when present (POPCNT is not baseline x86-64).
    uint64_t quoted_newlines = m.newlines & inside;

    uint64_t bits = structural;
    while (bits != 0) {
      const int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      const size_t pos = base + static_cast<size_t>(b);
      if ((m.delimiters >> b) & 1) {
        if (field == column) value_end = pos;
        ++field;
        if (field == column) value_begin = pos + 1;
        continue;
      }
      // A row ends at pos.
      if (bad != 0) {
        row_bad |= (bad & UpTo(b)) != 0;
        bad &= ~UpTo(b);
      }
      if (quoted_newlines != 0) {
        row_quoted_newlines += std::popcount(quoted_newlines & UpTo(b));
        quoted_newlines &= ~UpTo(b);
      }
      if (field == column) {
        value_end = pos;
        if (pos > value_begin && data[pos - 1] == '\r') --value_end;
      }
      const bool blank =
          field == 0 && (pos == row_start || (pos == row_start + 1 && data[row_start] == '\r'));
      if (row_bad || field != last_field || blank ||
          !on_value(Value(data + value_begin, data + value_end), row_line)) {
        fallback(row_start, pos + 1, row_line);
      }
      row_start = pos + 1;
      row_line += 1 + row_quoted_newlines;
      row_quoted_newlines = 0;
      field = 0;
      value_begin = row_start;
      row_bad = false;
    }
    row_bad |= bad != 0;
    if (quoted_newlines != 0) row_quoted_newlines += std::popcount(quoted_newlines);
  }
  if (row_start < size) {  // a last row without a newline
    if (field == column) value_end = size;
    // An open quote, or a CR right after a closing quote at the very end, is malformed.
    if (row_bad || inside_carry != 0 || cr_close_carry != 0 || field != last_field ||
        !on_value(Value(data + value_begin, data + value_end), row_line)) {
      fallback(row_start, size, row_line);
    }
  }
}

}  // namespace sluice::csv
