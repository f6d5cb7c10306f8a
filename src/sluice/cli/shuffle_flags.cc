#include "sluice/cli/shuffle_flags.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/where_flag.h"
#include "sluice/flow/report_file.h"
#include "sluice/ops/group_by_report.h"

namespace sluice::cli {

void ShuffleFlags::Add(CLI::App& command) {
  command.add_option("--partitions", partitions,
                     "Merge tasks: N or MIN..MAX (hash partitions start at max(cores, rows / "
                     "500,000); adjacent small ones are coalesced)");
  command.add_option("--spill-dir", spill_dir,
                     "Directory for spill runs when the state outgrows --memory (default: the "
                     "system temp directory); removed at the end, also on error or Ctrl-C");
  command
      .add_option("--advisory-partition-size", advisory_partition_size,
                  "Coalescing target for one merge task's state")
      ->capture_default_str();
}

void ShuffleFlags::Apply(GroupByOptions& options) const {
  if (!partitions.empty()) {
    std::tie(options.min_partitions, options.max_partitions) = ParsePartitionRange(partitions);
  }
  options.spill_dir = spill_dir;
  try {
    options.advisory_partition_bytes = ParseBytes(advisory_partition_size);
  } catch (const Error& e) {
    throw InvalidArgument("--advisory-partition-size: {}", e.what());
  }
  if (options.advisory_partition_bytes <= 0) {
    throw InvalidArgument("--advisory-partition-size must be positive");
  }
}

std::pair<int, int> ParsePartitionRange(const std::string& text) {
  auto bad = [&] { return InvalidArgument("--partitions wants N or MIN..MAX, not '{}'", text); };
  const size_t dots = text.find("..");
  try {
    size_t used = 0;
    if (dots == std::string::npos) {
      const int n = std::stoi(text, &used);
      if (used != text.size() || n < 1) throw bad();
      return {n, n};
    }
    const int lo = std::stoi(text.substr(0, dots), &used);
    if (used != dots) throw bad();
    const std::string hi_text = text.substr(dots + 2);
    const int hi = std::stoi(hi_text, &used);
    if (used != hi_text.size() || lo < 1 || hi < lo) throw bad();
    return {lo, hi};
  } catch (const std::logic_error&) {
    throw bad();
  }
}

void PrintGroupByOutcome(const std::string& verb, const GroupByResult& result,
                         const TableScan& scan, const std::string& output,
                         const std::string& report_path) {
  const int scan_units = static_cast<int>(scan.units().size());
  const double seconds = result.scan_report.wall_seconds + result.merge_report.wall_seconds;
  fmt::print("{}", result.scan_report.Summary());
  fmt::print(
      "{}: {} rows from {} scan units into {} groups ({} hash partitions, {} merge tasks) in "
      "{:.2f} s; memory budget {}: batches in flight peaked at {}, group state at {} after the "
      "scan and {} per merge task; wrote {}\n",
      verb, result.input_rows, scan_units, result.groups, result.partitions, result.tasks.size(),
      seconds, FormatBytes(result.memory_budget), FormatBytes(result.scan_report.peak_memory),
      FormatBytes(result.partial_state_bytes), FormatBytes(result.max_merge_state_bytes), output);
  if (result.spilled_rows > 0) {
    int skewed = 0;
    for (const auto& t : result.tasks) skewed += t.skewed ? 1 : 0;
    fmt::print(
        "{}: spilled {} rows ({} in {} runs, {} spill partitions); {} skewed partition(s) "
        "split\n",
        verb, result.spilled_rows, FormatBytes(result.spilled_file_bytes), result.spill_runs,
        result.spill_partitions, skewed);
  }
  if (result.partitioned_rows > 0) {
    fmt::print(
        "{}: high cardinality: {} rows passed on by partition in memory instead of aggregated "
        "per thread\n",
        verb, result.partitioned_rows);
  }
  fmt::print("{}", WhereSummary(scan));
  if (report_path.empty()) return;
  nlohmann::json report = GroupByReportJson(result);
  if (!scan.where().empty()) report["where"] = WhereReport(scan);
  WriteReportFile(report, report_path);
}

}  // namespace sluice::cli
