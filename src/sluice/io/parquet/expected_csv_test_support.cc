#include "sluice/io/parquet/expected_csv_test_support.h"

#include <fstream>

#include "sluice/base/error.h"

namespace sluice::parquet::testing {

CsvRow SplitCsvLine(const std::string& line) {
  CsvRow fields;
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      std::string field;
      ++i;
      while (i < line.size()) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          field += line[i++];
        }
      }
      fields.emplace_back(field);
    } else {
      size_t end = line.find(',', i);
      std::string field = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (field.empty()) {
        fields.emplace_back(std::nullopt);
      } else {
        fields.emplace_back(field);
      }
      i = end == std::string::npos ? line.size() : end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

std::vector<CsvRow> ReadExpectedCsv(const std::filesystem::path& path) {
  std::ifstream csv(path);
  if (!csv.good()) throw NotFound("cannot open {}", path.string());
  std::string line;
  std::getline(csv, line);
  std::vector<CsvRow> rows;
  while (std::getline(csv, line)) rows.push_back(SplitCsvLine(line));
  return rows;
}

}  // namespace sluice::parquet::testing
