// The edge-case corpus in tests/data/csv: each NAME.expected.json names a file, reader options,
// the expected column names, types and rows (or the expected error, and the rows kept when bad
// rows are skipped). Every file is read with several chunk sizes, so row boundaries fall
// everywhere, including inside quoted fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_reader.h"
#include "sluice/io/csv/csv_schema.h"

namespace sluice::csv {
namespace {

using nlohmann::json;

CsvReadOptions OptionsFrom(const json& spec) {
  CsvReadOptions options;
  if (!spec.contains("options")) return options;
  const json& o = spec["options"];
  auto ch = [&](const char* key, char& out) {
    if (o.contains(key)) out = o[key].get<std::string>().at(0);
  };
  ch("delimiter", options.dialect.delimiter);
  ch("quote", options.dialect.quote);
  ch("escape", options.dialect.escape);
  ch("comment", options.dialect.comment);
  if (o.contains("header")) options.dialect.header = o["header"].get<bool>();
  if (o.contains("lenient_quotes"))
    options.dialect.lenient_quotes = o["lenient_quotes"].get<bool>();
  if (o.contains("infer_rows")) options.infer_rows = o["infer_rows"].get<int64_t>();
  if (o.contains("null_values")) {
    options.dialect.null_values = o["null_values"].get<std::vector<std::string>>();
  }
  if (o.contains("schema")) options.column_types = ParseColumnTypes(o["schema"].get<std::string>());
  return options;
}

json Cell(const Array& a, int64_t r) {
  if (!a.IsValid(r)) return nullptr;
  switch (a.type().id()) {
    case TypeId::kString:
      return std::string(a.BinaryValue(r));
    case TypeId::kBool:
      return a.BoolValue(r);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return a.Value<int32_t>(r);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return a.Value<int64_t>(r);
    case TypeId::kFloat64:
      return a.Value<double>(r);
    default:
      return "unsupported type " + a.type().ToString();
  }
}

json Rows(const std::vector<RecordBatch>& batches) {
  json rows = json::array();
  for (const RecordBatch& b : batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      json row = json::array();
      for (int c = 0; c < b.num_columns(); ++c) row.push_back(Cell(b.column(c), r));
      rows.push_back(row);
    }
  }
  return rows;
}

std::vector<std::filesystem::path> Specs() {
  std::vector<std::filesystem::path> out;
  for (auto& e : std::filesystem::directory_iterator(SLUICE_CSV_CORPUS_DIR)) {
    if (e.path().string().ends_with(".expected.json")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CsvCorpus, EveryFileParsesToItsExpectedValues) {
  auto specs = Specs();
  ASSERT_GE(specs.size(), 10u);
  for (const auto& spec_path : specs) {
    SCOPED_TRACE(spec_path.filename().string());
    json spec = json::parse(std::ifstream(spec_path));
    const std::string file = (spec_path.parent_path() / spec["file"].get<std::string>()).string();
    for (size_t chunk : {size_t{64}, size_t{97}, size_t{1} << 20}) {
      SCOPED_TRACE("chunk bytes " + std::to_string(chunk));
      CsvReadOptions options = OptionsFrom(spec);
      options.chunk_bytes = chunk;
      auto reader = CsvReader::Open(fs::LocalFileSystem(), {file}, options);
      std::vector<std::string> names;
      for (const Field& f : reader->schema()->fields()) names.push_back(f.name);
      EXPECT_EQ(json(names), spec["columns"]);
      if (spec.contains("types")) {
        for (size_t i = 0; i < names.size(); ++i) {
          EXPECT_EQ(reader->schema()->field(static_cast<int>(i)).type,
                    ParseCsvType(spec["types"][i].get<std::string>()))
              << names[i];
        }
      }
      if (!spec.contains("error")) {
        EXPECT_EQ(Rows(reader->ReadAll()), spec["rows"]);
        continue;
      }
      const json& expected = spec["error"];
      try {
        reader->ReadAll();
        ADD_FAILURE() << "expected an error";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
        EXPECT_EQ(e.message(), expected["message"].get<std::string>()) << e.what();
        EXPECT_EQ(e.ContextValue("file"), file);
        EXPECT_EQ(e.ContextValue("line"), expected["line"].get<std::string>()) << e.what();
        if (expected.contains("column")) {
          EXPECT_EQ(e.ContextValue("column"), expected["column"].get<std::string>());
        }
      }
      options.bad_rows = BadRowPolicy::kSkip;
      reader = CsvReader::Open(fs::LocalFileSystem(), {file}, options);
      EXPECT_EQ(Rows(reader->ReadAll()), spec["skipped_rows"]);
      EXPECT_EQ(reader->bad_rows().count(), spec["skipped"].get<int64_t>());
    }
  }
}

}  // namespace
}  // namespace sluice::csv
