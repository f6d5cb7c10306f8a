// CsvTokenizer: splits a chunk of CSV text that starts at a row start into rows of fields,
// without allocating per field. Fields are views into the chunk; quoted fields with doubled
// quotes or escapes are unescaped in place (the text only shrinks), so the chunk is modified.
//
// Quoting follows csv_dialect.h. A malformed row (an unterminated quote, a quote inside an
// unquoted field under strict quoting, text after a closing quote) is handed to the callback
// with its problem; the tokenizer then resumes after that row's end as the RowBoundaryScanner
// would find it, so the rows after it are read as the chunker cut them. Under lenient quoting a
// quote inside an unquoted field is part of its text.
//
// Thread safety: one tokenizer per thread (it keeps a reusable field vector).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/io/csv/csv_dialect.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::csv {

struct CsvField {
  const char* data = nullptr;
  uint32_t size = 0;
  bool quoted = false;
  std::string_view view() const { return {data, size}; }
};

enum class RowProblem : uint8_t {
  kNone,
  kUnterminatedQuote,
  kQuoteInUnquotedField,
  kTextAfterClosingQuote,
};
std::string_view RowProblemText(RowProblem problem);

struct CsvRow {
  std::span<const CsvField> fields;
  int64_t line = 0;  // physical line (1-based) where the row starts
  RowProblem problem = RowProblem::kNone;
  int problem_field = -1;         // 0-based field index of the problem
  std::string_view problem_text;  // raw text from the problem field's start (at most 60 bytes)
};

class CsvTokenizer {
 public:
  explicit CsvTokenizer(const CsvDialect& dialect);

  struct Position {
    size_t consumed = 0;  // bytes up to the end of the last row handed out
    int64_t line = 1;     // physical line at `consumed`
  };

  // Tokenizes data[0, size), whose first byte is on physical line first_line, calling
  // on_row(const CsvRow&) -> bool for each row; false stops after that row.
  template <typename OnRow>
  Position Tokenize(char* data, size_t size, int64_t first_line, OnRow&& on_row);

 private:
  enum Class : uint8_t { kPlain = 0, kDelimiter, kQuote, kNewline, kCr, kEscape };

  // Skips to just past the row end from p, which is outside quotes, as the RowBoundaryScanner
  // would: toggling quotes (strict) or stepping LenientQuotes from inside an unquoted field.
  char* SkipRow(char* p, char* end, int64_t& line) const;
  char* ScanUnquoted(char* p, char* end, int64_t& line, CsvField& field) const;
  // Returns nullptr when the quote is not closed before end.
  char* ScanQuoted(char* p, char* end, int64_t& line, CsvField& field) const;

  CsvDialect dialect_;
  uint8_t unquoted_class_[256];  // bytes that stop an unquoted field
  uint8_t quoted_class_[256];    // bytes that stop a quoted field: quote, escape, newline
  std::vector<CsvField> fields_;
};

// ---- implementation (inline so row callbacks inline into the loop) ----

namespace tokenizer_internal {

// The first byte at or after q that `table` does not class as plain (0), or end. Looks at 16
// bytes per step for any of the five candidate bytes (repeats allowed), then confirms with the
// table, so a candidate that is not special in this dialect is skipped.
inline char* SkipPlain(char* q, char* end, const uint8_t* table, char a, char b, char c, char d,
                       char e) {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a);
  const __m128i vb = _mm_set1_epi8(b);
  const __m128i vc = _mm_set1_epi8(c);
  const __m128i vd = _mm_set1_epi8(d);
  const __m128i ve = _mm_set1_epi8(e);
  while (end - q >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd))),
                     _mm_cmpeq_epi8(v, ve));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(m));
    while (mask != 0) {
      const int i = __builtin_ctz(mask);
      if (table[static_cast<uint8_t>(q[i])] != 0) return q + i;
      mask &= mask - 1;
    }
    q += 16;
  }
#else
  (void)a, (void)b, (void)c, (void)d, (void)e;
#endif
  while (q < end && table[static_cast<uint8_t>(*q)] == 0) ++q;
  return q;
}

}  // namespace tokenizer_internal

inline char* CsvTokenizer::ScanUnquoted(char* p, char* end, int64_t& line, CsvField& field) const {
  char* start = p;
  char* w = nullptr;  // write position once an escape forces copying
  const char d = dialect_.delimiter;
  // Under lenient quoting a quote does not stop an unquoted field (it is not in the table).
  const char quote = dialect_.quote != '\0' && !dialect_.lenient_quotes ? dialect_.quote : d;
  const char escape = dialect_.escape != '\0' ? dialect_.escape : d;
  for (;;) {
    char* q = tokenizer_internal::SkipPlain(p, end, unquoted_class_, d, '\n', '\r', quote, escape);
    if (w != nullptr && q > p) {
      std::memmove(w, p, static_cast<size_t>(q - p));
      w += q - p;
    }
    p = q;
    if (p == end) break;
    const uint8_t c = unquoted_class_[static_cast<uint8_t>(*p)];
    if (c == kCr) {
      if (p + 1 < end && p[1] == '\n') break;
      if (w != nullptr) *w++ = '\r';
      ++p;
      continue;
    }
    if (c == kEscape) {
      if (w == nullptr) w = p;
      if (p + 1 == end) {
        ++p;
        break;
      }
      if (p[1] == '\n') ++line;
      *w++ = p[1];
      p += 2;
      continue;
    }
    break;  // delimiter, newline or quote
  }
  field.data = start;
  field.size = static_cast<uint32_t>((w != nullptr ? w : p) - start);
  field.quoted = false;
  return p;
}

inline char* CsvTokenizer::ScanQuoted(char* p, char* end, int64_t& line, CsvField& field) const {
  const char quote = dialect_.quote;
  const char escape = dialect_.escape != '\0' ? dialect_.escape : quote;
  char* start = p;
  char* w = nullptr;
  for (;;) {
    char* q =
        tokenizer_internal::SkipPlain(p, end, quoted_class_, quote, escape, '\n', quote, quote);
    if (w != nullptr && q > p) {
      std::memmove(w, p, static_cast<size_t>(q - p));
      w += q - p;
    }
    p = q;
    if (p == end) return nullptr;
    const char c = *p;
    if (c == '\n') {
      ++line;
      if (w != nullptr) *w++ = '\n';
      ++p;
      continue;
    }
    if (c != quote) {  // escape
      if (p + 1 == end) return nullptr;
      if (w == nullptr) w = p;
      if (p[1] == '\n') ++line;
      *w++ = p[1];
      p += 2;
      continue;
    }
    if (p + 1 < end && p[1] == quote) {
      if (w == nullptr) w = p;
      *w++ = quote;
      p += 2;
      continue;
    }
    field.data = start;
    field.size = static_cast<uint32_t>((w != nullptr ? w : p) - start);
    field.quoted = true;
    return p + 1;
  }
}

template <typename OnRow>
CsvTokenizer::Position CsvTokenizer::Tokenize(char* data, size_t size, int64_t first_line,
                                              OnRow&& on_row) {
  char* p = data;
  char* const end = data + size;
  int64_t line = first_line;
  const char comment = dialect_.comment;
  const char quote = dialect_.quote;
  const char delimiter = dialect_.delimiter;
  while (p < end) {
    if (comment != '\0' && *p == comment) {
      char* nl = static_cast<char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      p = nl == nullptr ? end : nl + 1;
      ++line;
      continue;
    }
    if (dialect_.skip_blank_lines && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
      p += *p == '\n' ? 1 : 2;
      ++line;
      continue;
    }
    CsvRow row;
    row.line = line;
    fields_.clear();
    for (;;) {
      CsvField field;
      char* field_start = p;
      if (p < end && quote != '\0' && *p == quote) {
        char* after = ScanQuoted(p + 1, end, line, field);
        if (after == nullptr) {
          row.problem = RowProblem::kUnterminatedQuote;
          p = end;
        } else {
          p = after;
          if (p < end && *p != delimiter && *p != '\n' &&
              !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
            row.problem = RowProblem::kTextAfterClosingQuote;
            p = SkipRow(p, end, line);
          }
        }
      } else {
        p = ScanUnquoted(p, end, line, field);
        if (p < end && quote != '\0' && *p == quote) {
          row.problem = RowProblem::kQuoteInUnquotedField;
          p = SkipRow(p, end, line);
        }
      }
      if (row.problem != RowProblem::kNone) {
        row.problem_field = static_cast<int>(fields_.size());
        row.problem_text = std::string_view(
            field_start, static_cast<size_t>(std::min<ptrdiff_t>(end - field_start, 60)));
        fields_.push_back(field);
        break;
      }
      fields_.push_back(field);
      if (p == end) break;
      if (*p == delimiter) {
        ++p;
        continue;
      }
      p += *p == '\n' ? 1 : 2;  // "\n" or "\r\n"
      ++line;
      break;
    }
    row.fields = fields_;
    if (!on_row(static_cast<const CsvRow&>(row))) return {static_cast<size_t>(p - data), line};
  }
  return {static_cast<size_t>(p - data), line};
}

}  // namespace sluice::csv
