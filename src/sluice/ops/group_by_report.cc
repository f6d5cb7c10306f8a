#include "sluice/ops/group_by_report.h"

#include <nlohmann/json.hpp>

namespace sluice {

nlohmann::json GroupByReportJson(const GroupByResult& result) {
  nlohmann::json tasks = nlohmann::json::array();
  nlohmann::json skewed = nlohmann::json::array();
  for (const GroupByPartitionStats& t : result.tasks) {
    tasks.push_back({{"partitions", {t.first, t.end}},
                     {"partial_groups", t.partial_groups},
                     {"spilled_rows", t.spilled_rows},
                     {"spilled_bytes", t.spilled_bytes},
                     {"partitioned_rows", t.partitioned_rows},
                     {"estimated_bytes", t.estimated_bytes},
                     {"state_bytes", t.state_bytes},
                     {"groups", t.groups},
                     {"passes", t.passes},
                     {"splits", t.splits},
                     {"skewed", t.skewed},
                     {"pieces", t.pieces}});
    if (t.skewed) {
      skewed.push_back({{"partitions", {t.first, t.end}},
                        {"run_bytes", t.run_bytes},
                        {"action", "spilled or passed-on rows pre-aggregated by " +
                                       std::to_string(t.pieces) + " tasks, then merged"}});
    }
  }
  return {{"group_by",
           {{"input_rows", result.input_rows},
            {"groups", result.groups},
            {"partitions", result.partitions},
            {"merge_tasks", result.tasks.size()},
            {"spill_partitions", result.spill_partitions},
            {"memory_budget", result.memory_budget},
            {"state_budget", result.state_budget},
            {"partial_state_bytes", result.partial_state_bytes},
            {"peak_partial_bytes", result.peak_partial_bytes},
            {"max_merge_state_bytes", result.max_merge_state_bytes},
            {"merge_state_budget", result.merge_state_budget},
            {"merge_waits", result.merge_waits},
            {"merge_splits", result.merge_splits},
            {"state_overdraft_bytes", result.state_overdraft_bytes},
            {"spilled_rows", result.spilled_rows},
            {"partitioned_rows", result.partitioned_rows},
            {"spilled_file_bytes", result.spilled_file_bytes},
            {"spill_runs", result.spill_runs},
            {"tasks", std::move(tasks)},
            {"skewed", std::move(skewed)}}},
          {"scan", result.scan_report.ToJson()},
          {"merge", result.merge_report.ToJson()}};
}

}  // namespace sluice
