#include "sluice/io/csv/projected_tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "sluice/io/csv/csv_chunk_reader.h"
#include "sluice/io/fs/file_system.h"

namespace sluice::csv {
namespace {

// One row as a caller sees it: a value from the fast path, or a whole row from the fallback.
struct Seen {
  int64_t line = 0;
  bool value = false;
  std::string text;  // the value, or the row's fields joined by '|'
  RowProblem problem = RowProblem::kNone;
  bool operator==(const Seen&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{line " << s.line << (s.value ? " value " : " row ")
            << testing::PrintToString(s.text) << " problem " << static_cast<int>(s.problem) << "}";
}

Seen RowSeen(const CsvRow& row) {
  Seen s{row.line, false, "", row.problem};
  for (size_t i = 0; i < row.fields.size(); ++i) {
    if (i > 0) s.text += '|';
    s.text += row.fields[i].view();
    s.text += row.fields[i].quoted ? "q" : "";
  }
  return s;
}

// What CsvTokenizer gives, seen through a projection: rows that are well-formed with
// num_fields fields (and whose value `accept` takes) become values.
std::vector<Seen> Expected(std::string text, const CsvDialect& dialect, int column, int num_fields,
                           bool (*accept)(std::string_view)) {
  std::vector<Seen> out;
  CsvTokenizer tokenizer(dialect);
  tokenizer.Tokenize(text.data(), text.size(), 1, [&](const CsvRow& row) {
    if (row.problem == RowProblem::kNone && static_cast<int>(row.fields.size()) == num_fields &&
        accept(row.fields[static_cast<size_t>(column)].view())) {
      const CsvField& f = row.fields[static_cast<size_t>(column)];
      out.push_back({row.line, true, std::string(f.view()) + (f.quoted ? "q" : "")});
    } else {
      out.push_back(RowSeen(row));
    }
    return true;
  });
  return out;
}

std::vector<Seen> Projected(std::string text, const CsvDialect& dialect, int column, int num_fields,
                            bool (*accept)(std::string_view)) {
  std::vector<Seen> out;
  ProjectedTokenizer tokenizer(dialect, column, num_fields);
  tokenizer.Tokenize(
      text.data(), text.size(), 1,
      [&](const CsvField& f, int64_t line) {
        if (!accept(f.view())) return false;
        out.push_back({line, true, std::string(f.view()) + (f.quoted ? "q" : "")});
        return true;
      },
      [&](const CsvRow& row) { out.push_back(RowSeen(row)); });
  return out;
}

bool AcceptAll(std::string_view) { return true; }
bool RefuseX(std::string_view v) { return v.empty() || v[0] != 'x'; }

TEST(ProjectedTokenizer, Supports) {
  EXPECT_TRUE(ProjectedTokenizer::Supports(CsvDialect{}));
  CsvDialect d;
  d.escape = '\\';
  EXPECT_FALSE(ProjectedTokenizer::Supports(d));
  d = CsvDialect{};
  d.comment = '#';
  EXPECT_FALSE(ProjectedTokenizer::Supports(d));
  d = CsvDialect{};
  d.quote = '\0';
  d.delimiter = '\t';
  EXPECT_TRUE(ProjectedTokenizer::Supports(d));
}

TEST(ProjectedTokenizer, ValuesAndMalformedRows) {
  const std::string text =
      "1,a@x.org,\"Smith, \"\"Al\"\"\",3\n"
      "2,\"q\"\"uoted\",n,4\r\n"
      "3,b\"c\",n,5\n"  // quote inside an unquoted field
      "4,\"c\"d,n,6\n"  // text after a closing quote
      "5,only\n"        // too few fields
      "\n"              // blank line
      "6,\"multi\nline\",\"x\ny\",7\n"
      "7,last,n,\"open";  // unterminated at the end
  auto seen = Projected(text, CsvDialect{}, 1, 4, AcceptAll);
  EXPECT_EQ(seen, Expected(text, CsvDialect{}, 1, 4, AcceptAll));
  ASSERT_GE(seen.size(), 7u);
  EXPECT_EQ(seen[0], (Seen{1, true, "a@x.org"}));
  EXPECT_EQ(seen[1], (Seen{2, true, "q\"uotedq"}));
  EXPECT_EQ(seen[2].problem, RowProblem::kQuoteInUnquotedField);
  EXPECT_EQ(seen[2].line, 3);
  EXPECT_EQ(seen[3].problem, RowProblem::kTextAfterClosingQuote);
  EXPECT_EQ(seen[4], (Seen{5, false, "5|only"}));
  EXPECT_EQ(seen[5], (Seen{7, true, "multi\nlineq"}));
  EXPECT_EQ(seen[6].problem, RowProblem::kUnterminatedQuote);
  EXPECT_EQ(seen[6].line, 10);
}

TEST(ProjectedTokenizer, CrlfAndLoneCr) {
  const std::string text = "a\r\"b\"\r\n\"c\"\r,d\r\ne,f\r";
  for (int column = 0; column < 2; ++column) {
    EXPECT_EQ(Projected(text, CsvDialect{}, column, 2, AcceptAll),
              Expected(text, CsvDialect{}, column, 2, AcceptAll));
  }
}

// Random text mixing well-formed RFC 4180 rows with stray quotes, CRs, blank lines and wrong
// field counts: the projection gives exactly what the general tokenizer gives, row by row.
TEST(ProjectedTokenizer, MatchesTheTokenizerOnRandomText) {
  std::mt19937 rng(29);
  const std::string messy = "ab,\"\n\r x";
  const std::string plain = "abcdefgh,\"\n\r xyz0123456789";
  for (int trial = 0; trial < 3000; ++trial) {
    const int num_fields = 1 + static_cast<int>(rng() % 5);
    std::string text;
    const int rows = 1 + static_cast<int>(rng() % 30);
    for (int r = 0; r < rows; ++r) {
      if (rng() % 8 == 0) {  // raw noise
        const int len = static_cast<int>(rng() % 12);
        for (int i = 0; i < len; ++i) text += messy[rng() % messy.size()];
      } else {
        const int fields = rng() % 6 == 0 ? 1 + static_cast<int>(rng() % 6) : num_fields;
        for (int f = 0; f < fields; ++f) {
          if (f > 0) text += ',';
          std::string value;
          const int len = static_cast<int>(rng() % (rng() % 4 == 0 ? 90 : 12));
          for (int i = 0; i < len; ++i) value += plain[rng() % (rng() % 2 ? 8 : plain.size())];
          if (value.find_first_of(",\"\n\r") == std::string::npos && rng() % 3 != 0) {
            text += value;
          } else {
            text += '"';
            for (char c : value) text += c == '"' ? std::string("\"\"") : std::string(1, c);
            text += '"';
          }
        }
      }
      if (r + 1 < rows || rng() % 2 == 0) text += rng() % 3 == 0 ? "\r\n" : "\n";
    }
    for (int column = 0; column < num_fields; ++column) {
      auto accept = rng() % 2 == 0 ? AcceptAll : RefuseX;
      ASSERT_EQ(Projected(text, CsvDialect{}, column, num_fields, accept),
                Expected(text, CsvDialect{}, column, num_fields, accept))
          << "trial " << trial << " column " << column << " text " << testing::PrintToString(text);
    }
  }
}

// Chunks cut by the chunk reader (quoted newlines and doubled quotes across chunk boundaries),
// read or mapped, give the same values and line numbers through the projection as through the
// tokenizer.
TEST(ProjectedTokenizer, ChunksCutAnywhereKeepValuesAndLines) {
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text += std::to_string(i) + ",\"user" + std::to_string(i) + "@x\",\"Smith, \"\"A\"\"\nJr\"," +
            (i % 7 == 0 ? "\"a\"b" : "1.5") + "\n";
  }
  auto fs = fs::LocalFileSystem();
  const std::string path = testing::TempDir() + "/projected_tokenizer_chunks.csv";
  fs::WriteWholeFile(*fs, path, "\xEF\xBB\xBF" + text);  // with a byte order mark
  struct RemovedAtEnd {
    const std::string& path;
    ~RemovedAtEnd() { std::remove(path.c_str()); }
  } removed_at_end{path};
  for (size_t chunk_bytes : {64, 97, 1000, 1 << 20})
    for (bool map : {false, true}) {
      CsvChunkReader reader(*fs, path, 0, CsvDialect{}, chunk_bytes, map);
      CsvChunk chunk;
      std::vector<Seen> projected, expected;
      std::string all;
      while (reader.Next(chunk)) {
        EXPECT_EQ(chunk.view != nullptr, map);
        std::string copy(chunk.cdata(), chunk.size());
        all += copy;
        ProjectedTokenizer tokenizer(CsvDialect{}, 1, 4);
        tokenizer.Tokenize(
            chunk.cdata(), chunk.size(), chunk.first_line,
            [&](const CsvField& f, int64_t line) {
              projected.push_back({line, true, std::string(f.view()) + "q"});
              return true;
            },
            [&](const CsvRow& row) { projected.push_back(RowSeen(row)); });
        CsvTokenizer general{CsvDialect{}};
        general.Tokenize(copy.data(), copy.size(), chunk.first_line, [&](const CsvRow& row) {
          if (row.problem == RowProblem::kNone) {
            expected.push_back({row.line, true, std::string(row.fields[1].view()) + "q"});
          } else {
            expected.push_back(RowSeen(row));
          }
          return true;
        });
      }
      EXPECT_EQ(all, text);
      ASSERT_EQ(projected, expected) << "chunk bytes " << chunk_bytes << " map " << map;
      ASSERT_EQ(projected.size(), 300u);
      EXPECT_EQ(projected[299].line, 1 + 2 * 299);
      EXPECT_EQ(projected[7].problem, RowProblem::kTextAfterClosingQuote);
      EXPECT_EQ(projected[8], (Seen{17, true, "user8@xq"}));
    }
}

}  // namespace
}  // namespace sluice::csv
