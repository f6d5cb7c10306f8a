#include "sluice/io/csv/row_boundary_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::csv {
namespace {

// Row ends found by scanning the whole text in pieces of the given sizes.
std::vector<int64_t> RowEnds(const CsvDialect& dialect, const std::string& text, size_t piece) {
  std::vector<int64_t> ends;
  RowBoundaryScanner scanner(dialect);
  for (size_t at = 0; at < text.size(); at += piece) {
    size_t n = std::min(piece, text.size() - at);
    // Scan byte by byte inside the piece too, so every row end is seen, not only the last.
    for (size_t k = 0; k < n; ++k) {
      auto r = scanner.Scan(text.data() + at + k, 1);
      if (r.last_row_end >= 0) ends.push_back(static_cast<int64_t>(at + k + 1));
    }
  }
  return ends;
}

int64_t LastEnd(const CsvDialect& dialect, const std::string& text) {
  RowBoundaryScanner scanner(dialect);
  return scanner.Scan(text.data(), text.size()).last_row_end;
}

TEST(RowBoundaryScanner, QuotedNewlinesAreNotRowEnds) {
  CsvDialect d;
  std::string text = "a,\"x\ny\"\nb,\"\"\"\n\"\nc,d\n";
  EXPECT_EQ(RowEnds(d, text, 7), (std::vector<int64_t>{8, 16, 20}));
  EXPECT_EQ(LastEnd(d, text), 20);
}

TEST(RowBoundaryScanner, WordPathMatchesBytePathOnRandomText) {
  // The 64-byte path (no escape, no comment) against the byte loop (forced with a comment char
  // that never occurs) on random text of quotes, newlines and letters, cut anywhere.
  std::mt19937 rng(7);
  const char alphabet[] = {'a', ',', '"', '\n', 'b', '"', '\n', 'c'};
  CsvDialect fast;
  CsvDialect slow;
  slow.comment = '\x7f';
  for (int trial = 0; trial < 200; ++trial) {
    std::string text(rng() % 700, 'a');
    for (char& c : text) c = alphabet[rng() % sizeof(alphabet)];
    RowBoundaryScanner a(fast), b(slow);
    size_t at = 0;
    while (at < text.size()) {
      size_t n = std::min<size_t>(1 + rng() % 150, text.size() - at);
      auto ra = a.Scan(text.data() + at, n);
      auto rb = b.Scan(text.data() + at, n);
      ASSERT_EQ(ra.last_row_end, rb.last_row_end) << "trial " << trial << " at " << at;
      ASSERT_EQ(ra.newlines_before_end, rb.newlines_before_end);
      ASSERT_EQ(ra.newlines, rb.newlines);
      ASSERT_EQ(ra.row_ends, rb.row_ends);
      ASSERT_EQ(a.in_quotes(), b.in_quotes());
      at += n;
    }
  }
}

TEST(RowBoundaryScanner, EscapesAndComments) {
  CsvDialect d;
  d.escape = '\\';
  d.comment = '#';
  // An escaped quote does not open a quote; an escaped newline does not end a row; a comment's
  // quote does not count.
  std::string text = "a\\\"b\nx\\\ny\n# it's \"odd\n\"q\nq\"\n";
  EXPECT_EQ(RowEnds(d, text, 5), (std::vector<int64_t>{5, 10, 22, 28}));
}

}  // namespace
}  // namespace sluice::csv
