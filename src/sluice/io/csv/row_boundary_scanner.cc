#include "sluice/io/csv/row_boundary_scanner.h"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::csv {

RowBoundaryScanner::RowBoundaryScanner(const CsvDialect& dialect)
    : dialect_(dialect),
      fast_(dialect.escape == '\0' && dialect.comment == '\0' && !dialect.lenient_quotes),
      lenient_(dialect) {}

RowBoundaryScanner::Result RowBoundaryScanner::Scan(const char* data, size_t size) {
  if (dialect_.lenient_quotes) return ScanLenient(data, size);
  return fast_ ? ScanWords(data, size) : ScanBytewise(data, size);
}

RowBoundaryScanner::Result RowBoundaryScanner::ScanLenient(const char* data, size_t size) {
  Result r;
  const char comment = dialect_.comment;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (c == '\n') ++r.newlines;
    bool row_end;
    if (in_comment_) {
      row_end = c == '\n';
      in_comment_ = !row_end;
    } else if (comment != '\0' && at_line_start_ && c == comment) {
      in_comment_ = true;
      row_end = false;
    } else {
      row_end = lenient_.Step(c);
    }
    at_line_start_ = row_end;
    if (row_end) {
      ++r.row_ends;
      r.last_row_end = static_cast<int64_t>(i + 1);
      r.newlines_before_end = r.newlines;
    }
  }
  return r;
}

RowBoundaryScanner::Result RowBoundaryScanner::ScanBytewise(const char* data, size_t size) {
  Result r;
  const char quote = dialect_.quote;
  const char escape = dialect_.escape;
  const char comment = dialect_.comment;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (c == '\n') ++r.newlines;
    if (escape_pending_) {
      escape_pending_ = false;
      at_line_start_ = false;
      continue;
    }
    if (in_comment_) {
      if (c == '\n') {
        in_comment_ = false;
        at_line_start_ = true;
        ++r.row_ends;
        r.last_row_end = static_cast<int64_t>(i + 1);
        r.newlines_before_end = r.newlines;
      }
      continue;
    }
    if (escape != '\0' && c == escape) {
      escape_pending_ = true;
      at_line_start_ = false;
      continue;
    }
    if (comment != '\0' && at_line_start_ && !in_quotes_ && c == comment) {
      in_comment_ = true;
      at_line_start_ = false;
      continue;
    }
    if (quote != '\0' && c == quote) {
      in_quotes_ = !in_quotes_;
    } else if (c == '\n' && !in_quotes_) {
      ++r.row_ends;
      r.last_row_end = static_cast<int64_t>(i + 1);
      r.newlines_before_end = r.newlines;
      at_line_start_ = true;
      continue;
    }
    at_line_start_ = false;
  }
  return r;
}

namespace {

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

struct Masks {
  uint64_t quotes;
  uint64_t newlines;
};

inline Masks Classify(const char* p, char quote) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8(quote);
  const __m128i nl = _mm_set1_epi8('\n');
  uint64_t quotes = 0;
  uint64_t newlines = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    quotes |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, q))))
              << (16 * k);
    newlines |=
        static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))))
        << (16 * k);
  }
  return {quotes, newlines};
#else
  Masks m{0, 0};
  for (int i = 0; i < 64; ++i) {
    m.quotes |= static_cast<uint64_t>(p[i] == quote) << i;
    m.newlines |= static_cast<uint64_t>(p[i] == '\n') << i;
  }
  return m;
#endif
}

// The word loop, inlined into each dispatch variant below so that each is compiled for its own
// target.
[[gnu::always_inline]] inline RowBoundaryScanner::Result ScanWordsLoop(const char* data,
                                                                       size_t size, char quote,
                                                                       bool& in_quotes) {
  RowBoundaryScanner::Result r;
  // With no quote character every newline ends a row; a NUL quote never matches real text
  // in practice, but keep it exact by masking quotes out.
  const bool quoting = quote != '\0';
  uint64_t carry = in_quotes ? ~uint64_t{0} : 0;
  char tail[64];
  for (size_t base = 0; base < size; base += 64) {
    const char* p = data + base;
    size_t n = size - base;
    if (n < 64) {
      std::memset(tail, 0, sizeof(tail));
      std::memcpy(tail, p, n);
      p = tail;
    }
    Masks m = Classify(p, quote);
    if (!quoting) m.quotes = 0;
    if (n < 64) m.quotes &= (uint64_t{1} << n) - 1;  // padding zeros are not quotes
    const uint64_t inside = PrefixXor(m.quotes) ^ carry;
    carry = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
    const uint64_t ends = m.newlines & ~inside;
    if (ends != 0) {
      const int pos = 63 - std::countl_zero(ends);
      const uint64_t upto = pos == 63 ? ~uint64_t{0} : (uint64_t{2} << pos) - 1;
      r.last_row_end = static_cast<int64_t>(base) + pos + 1;
      r.newlines_before_end = r.newlines + std::popcount(m.newlines & upto);
      r.row_ends += std::popcount(ends);
    }
    r.newlines += std::popcount(m.newlines);
  }
  in_quotes = carry != 0;
  return r;
}

using ScanWordsFn = RowBoundaryScanner::Result (*)(const char*, size_t, char, bool&);

RowBoundaryScanner::Result ScanWordsPortable(const char* data, size_t size, char quote,
                                             bool& in_quotes) {
  return ScanWordsLoop(data, size, quote, in_quotes);
}

#if defined(__x86_64__)
// For CPUs with POPCNT (all x86-64 since about 2008): without it std::popcount is a libgcc call
// per 64 bytes. Picked at run time rather than by target_clones, whose ifunc resolver runs
// before the sanitizers' runtimes are initialised and crashes ThreadSanitizer builds.
__attribute__((target("popcnt"))) RowBoundaryScanner::Result ScanWordsPopcnt(const char* data,
                                                                             size_t size,
                                                                             char quote,
                                                                             bool& in_quotes) {
  return ScanWordsLoop(data, size, quote, in_quotes);
}
#endif

ScanWordsFn PickScanWords() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("popcnt")) return ScanWordsPopcnt;
#endif
  return ScanWordsPortable;
}

}  // namespace

RowBoundaryScanner::Result RowBoundaryScanner::ScanWords(const char* data, size_t size) {
  static const ScanWordsFn scan = PickScanWords();
  return scan(data, size, dialect_.quote, in_quotes_);
}

}  // namespace sluice::csv
