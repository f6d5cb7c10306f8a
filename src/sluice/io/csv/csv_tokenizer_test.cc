#include "sluice/io/csv/csv_tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sluice/io/csv/row_boundary_scanner.h"

namespace sluice::csv {
namespace {

struct Parsed {
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
  std::vector<RowProblem> problems;
};

Parsed Tokenize(std::string text, const CsvDialect& dialect = {}, int64_t first_line = 1) {
  CsvTokenizer tokenizer(dialect);
  Parsed out;
  tokenizer.Tokenize(text.data(), text.size(), first_line, [&](const CsvRow& row) {
    std::vector<std::string> fields;
    for (const CsvField& f : row.fields) fields.emplace_back(f.view());
    out.rows.push_back(fields);
    out.lines.push_back(row.line);
    out.problems.push_back(row.problem);
    return true;
  });
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvTokenizer, Rfc4180) {
  auto p = Tokenize("a,b,c\n1,\"x,y\",\"he said \"\"hi\"\"\"\n2,\"multi\nline\",\r\n3,,\"\"");
  EXPECT_EQ(p.rows, (Rows{{"a", "b", "c"},
                          {"1", "x,y", "he said \"hi\""},
                          {"2", "multi\nline", ""},
                          {"3", "", ""}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 2, 3, 5}));
}

TEST(CsvTokenizer, BlankLinesCommentsAndLoneCr) {
  CsvDialect d;
  d.comment = '#';
  auto p = Tokenize("# note, \"x\n\na\rb,c\n\r\n# again\nd,e", d);
  EXPECT_EQ(p.rows, (Rows{{"a\rb", "c"}, {"d", "e"}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{3, 6}));
}

TEST(CsvTokenizer, BackslashEscapes) {
  CsvDialect d;
  d.escape = '\\';
  auto p = Tokenize("\"a \\\"q\\\" b\",x\\,y,z\\\\\n", d);
  EXPECT_EQ(p.rows, (Rows{{"a \"q\" b", "x,y", "z\\"}}));
}

TEST(CsvTokenizer, MalformedRowsAreReportedAndSkippedConsistently) {
  auto p = Tokenize("a,b\"c\"d,e\n1,\"x\"y,2\nok,1\n\"open,2\nmore");
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.problems[0], RowProblem::kQuoteInUnquotedField);
  EXPECT_EQ(p.problems[1], RowProblem::kTextAfterClosingQuote);
  EXPECT_EQ(p.problems[2], RowProblem::kNone);
  EXPECT_EQ(p.rows[2], (std::vector<std::string>{"ok", "1"}));
  EXPECT_EQ(p.problems[3], RowProblem::kUnterminatedQuote);
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(CsvTokenizer, QuoteInUnquotedFieldTogglesLikeTheScanner) {
  // b"c opens a quote that the next line's quote closes, so "2\nx" stays inside the bad row.
  auto p = Tokenize("a,b\"c\n2\"\nnext,1\n");
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.problems[0], RowProblem::kQuoteInUnquotedField);
  EXPECT_EQ(p.rows[1], (std::vector<std::string>{"next", "1"}));
  EXPECT_EQ(p.lines[1], 3);
}

TEST(CsvTokenizer, StopsWhenAsked) {
  std::string text = "h1,h2\n1,2\n";
  CsvTokenizer tokenizer{CsvDialect{}};
  auto pos = tokenizer.Tokenize(text.data(), text.size(), 1, [](const CsvRow&) { return false; });
  EXPECT_EQ(pos.consumed, 6u);
  EXPECT_EQ(pos.line, 2);
}

// Lenient quoting: a stray quote in an unquoted field is a character, and the row boundary
// scanner cuts rows exactly where the tokenizer ends them.
CsvDialect Lenient() {
  CsvDialect d;
  d.lenient_quotes = true;
  return d;
}

TEST(LenientQuotes, StrayQuoteIsACharacter) {
  const std::string text = "a,b\nx,12.3\" N\ny,5'10\"\n\"q,\"\"x\"\"\",w\"\n";
  Parsed strict = Tokenize(text, CsvDialect{});
  ASSERT_GE(strict.problems.size(), 2u);
  EXPECT_EQ(strict.problems[1], RowProblem::kQuoteInUnquotedField);

  Parsed lenient = Tokenize(text, Lenient());
  EXPECT_EQ(lenient.rows,
            (Rows{{"a", "b"}, {"x", "12.3\" N"}, {"y", "5'10\""}, {"q,\"x\"", "w\""}}));
  EXPECT_EQ(lenient.lines, (std::vector<int64_t>{1, 2, 3, 4}));
  for (RowProblem p : lenient.problems) EXPECT_EQ(p, RowProblem::kNone);
}

TEST(LenientQuotes, QuotedFieldsStillHoldDelimitersAndNewlines) {
  Parsed p = Tokenize("\"a\nb\",x\"y\n\"c,d\",\"\"\n", Lenient());
  EXPECT_EQ(p.rows, (Rows{{"a\nb", "x\"y"}, {"c,d", ""}}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 3}));
}

TEST(LenientQuotes, TextAfterAClosingQuoteIsStillAnError) {
  Parsed p = Tokenize("\"a\"b,\"c\nd\"\nok,1\n", Lenient());
  ASSERT_EQ(p.problems.size(), 2u);
  EXPECT_EQ(p.problems[0], RowProblem::kTextAfterClosingQuote);
  // The rest of the bad row is read as the scanner reads it: the quoted newline stays inside.
  EXPECT_EQ(p.rows[1], (std::vector<std::string>{"ok", "1"}));
  EXPECT_EQ(p.lines[1], 3);
}

TEST(LenientQuotes, ScannerFindsTheRowEnds) {
  const std::string text = "x,12.3\" N\n\"a\nb\",c\"\n\"\"\"\",d\n";
  RowBoundaryScanner scanner(Lenient());
  std::vector<int64_t> ends;
  for (size_t i = 0; i < text.size(); ++i) {
    if (scanner.Scan(text.data() + i, 1).last_row_end >= 0) ends.push_back(int64_t(i) + 1);
  }
  EXPECT_EQ(ends, (std::vector<int64_t>{10, 19, 26}));
  EXPECT_FALSE(scanner.in_quotes());
}

// Random text of quotes, delimiters, newlines, CRs and escapes, cut at the scanner's row ends
// (scanning in random pieces): tokenizing the pieces one by one gives the rows, lines and
// problems of tokenizing the whole text, so chunks cut anywhere parse as the whole file does.
TEST(LenientQuotes, ScannerAndTokenizerAgreeOnRandomText) {
  std::mt19937 rng(23);
  const std::string alphabet = "ab,\"\n\r\"x,\\";
  for (int escape = 0; escape < 2; ++escape) {
    CsvDialect dialect = Lenient();
    if (escape == 1) dialect.escape = '\\';
    for (int trial = 0; trial < 300; ++trial) {
      std::string text(rng() % 300, 'a');
      for (char& c : text) c = alphabet[rng() % (alphabet.size() - (escape == 0 ? 1 : 0))];
      Parsed whole = Tokenize(text, dialect);
      RowBoundaryScanner scanner(dialect);
      Parsed pieces;
      size_t cut = 0;
      int64_t line = 1;
      size_t at = 0;
      auto take = [&](size_t upto) {
        Parsed part = Tokenize(text.substr(cut, upto - cut), dialect, line);
        for (size_t r = 0; r < part.rows.size(); ++r) {
          pieces.rows.push_back(part.rows[r]);
          pieces.lines.push_back(part.lines[r]);
          pieces.problems.push_back(part.problems[r]);
        }
        for (size_t i = cut; i < upto; ++i) line += text[i] == '\n';
        cut = upto;
      };
      while (at < text.size()) {
        const size_t n = std::min<size_t>(1 + rng() % 40, text.size() - at);
        auto r = scanner.Scan(text.data() + at, n);
        if (r.last_row_end >= 0) take(at + static_cast<size_t>(r.last_row_end));
        at += n;
      }
      take(text.size());
      ASSERT_EQ(pieces.rows, whole.rows) << "trial " << trial << " text " << text;
      ASSERT_EQ(pieces.lines, whole.lines) << "trial " << trial;
      ASSERT_EQ(pieces.problems, whole.problems) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace sluice::csv

namespace sluice::csv {
namespace {

// Random fields (delimiters, quotes, CR, LF, long runs) written the RFC 4180 way read back
// exactly, for both the 16-byte scan and its byte-wise tail.
TEST(CsvTokenizer, RandomFieldsRoundTrip) {
  std::mt19937 rng(17);
  const std::string alphabet = "abcdefgh,\"\n\r xyz0123456789";
  for (int trial = 0; trial < 200; ++trial) {
    Rows rows;
    std::string text;
    for (int r = 0; r < 20; ++r) {
      std::vector<std::string> row;
      const int fields = 1 + static_cast<int>(rng() % 6);
      for (int f = 0; f < fields; ++f) {
        std::string value;
        const int len = static_cast<int>(rng() % 40);
        const bool plain = rng() % 2 == 0;
        for (int i = 0; i < len; ++i) {
          value += plain ? alphabet[rng() % 8] : alphabet[rng() % alphabet.size()];
        }
        if (value.empty()) value = "e";  // an empty single field would be a blank line
        row.push_back(value);
        if (f > 0) text += ',';
        if (value.find_first_of(",\"\n\r") == std::string::npos) {
          text += value;
        } else {
          text += '"';
          for (char c : value) text += c == '"' ? std::string("\"\"") : std::string(1, c);
          text += '"';
        }
      }
      text += rng() % 2 ? "\n" : "\r\n";
      rows.push_back(row);
    }
    Parsed p = Tokenize(text);
    ASSERT_EQ(p.rows, rows) << "trial " << trial;
    for (RowProblem problem : p.problems) EXPECT_EQ(problem, RowProblem::kNone);
  }
}

}  // namespace
}  // namespace sluice::csv
