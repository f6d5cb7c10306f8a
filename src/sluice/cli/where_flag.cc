#include "sluice/cli/where_flag.h"

#include <fmt/format.h>

#include "sluice/ops/predicate_parser.h"

namespace sluice::cli {

void AddWhereOption(CLI::App& command, std::string& where, const std::string& names,
                    const std::string& rows) {
  command.add_option(
      names, where,
      fmt::format("Keep only the {} for which EXPR is true; {}. Pushed into the "
                  "scan: Parquet row groups and pages whose statistics rule EXPR out "
                  "are not read. E.g. \"v1 >= 3 AND id4 < 50\", \"name LIKE 'ab%' OR d IS "
                  "NULL\"",
                  rows, kPredicateSyntaxHelp));
}

std::string WhereSummary(const TableScan& scan, const std::string& flag) {
  if (scan.where().empty()) return "";
  const ScanFilterStats s = scan.filter_stats();
  std::string skipped;
  if (s.row_groups > 0) {
    std::string bloom;
    if (s.row_groups_skipped_by_bloom > 0) {
      bloom += fmt::format(", {} of them by Bloom filters", s.row_groups_skipped_by_bloom);
    }
    if (s.row_groups_skipped_by_pages > 0) {
      bloom += fmt::format(", {} of them by the page index", s.row_groups_skipped_by_pages);
    }
    skipped = fmt::format("{} of {} row groups skipped by statistics ({} rows{}); ",
                          s.row_groups_skipped, s.row_groups, s.rows_skipped, bloom);
  }
  if (s.page_rows_skipped > 0) {
    skipped += fmt::format("{} rows of the row groups read skipped by the page index ({} pages); ",
                           s.page_rows_skipped, s.pages_skipped);
  }
  return fmt::format("{} '{}': {}{} of {} rows read passed\n", flag, scan.where(), skipped,
                     s.rows_passed, s.rows_read);
}

nlohmann::json WhereReport(const TableScan& scan) {
  if (scan.where().empty()) return nullptr;
  const ScanFilterStats s = scan.filter_stats();
  return {{"where", scan.where()},
          {"row_groups", s.row_groups},
          {"row_groups_skipped", s.row_groups_skipped},
          {"row_groups_skipped_by_bloom", s.row_groups_skipped_by_bloom},
          {"row_groups_skipped_by_page_index", s.row_groups_skipped_by_pages},
          {"rows_skipped", s.rows_skipped},
          {"page_rows_skipped", s.page_rows_skipped},
          {"pages_skipped", s.pages_skipped},
          {"rows_read", s.rows_read},
          {"rows_passed", s.rows_passed}};
}

}  // namespace sluice::cli
