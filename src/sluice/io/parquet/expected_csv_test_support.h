// Reads parquet-testing's *_expect.csv files (RFC 4180 without embedded newlines; an unquoted
// empty field is null) for the tests of this folder.
//
// Thread safety: pure functions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sluice::parquet::testing {

using CsvRow = std::vector<std::optional<std::string>>;

CsvRow SplitCsvLine(const std::string& line);
// The rows after the header line.
std::vector<CsvRow> ReadExpectedCsv(const std::filesystem::path& path);

}  // namespace sluice::parquet::testing
