// The row filter flag of the commands that scan tables (`--where EXPR`, and join's per-side
// pair), with its help text, and what the commands print and report about it: row groups the
// Parquet statistics skipped, rows read and rows that passed.
//
// Thread safety: plain functions; used on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/ops/table_scan.h"

namespace sluice::cli {

// Adds the option `names` (e.g. "--where") filling `where`; `rows` says whose rows it keeps.
void AddWhereOption(CLI::App& command, std::string& where, const std::string& names = "--where",
                    const std::string& rows = "input rows");

// "where 'v > 1': 8 of 10 row groups skipped by statistics (8,000 rows); 700 rows of the row
// groups read skipped by the page index (12 pages); 510 of 1,300 rows read passed\n", labelled
// with `flag`; "" when the scan has no filter.
std::string WhereSummary(const TableScan& scan, const std::string& flag = "--where");

// {"where": text, "row_groups": ..., "row_groups_skipped": ..., "rows_skipped": ...,
// "page_rows_skipped": ..., "pages_skipped": ..., "rows_read": ..., "rows_passed": ...}; null
// when the scan has no filter.
nlohmann::json WhereReport(const TableScan& scan);

}  // namespace sluice::cli
