#include "sluice/jobs/shuffle/reduce_plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"

namespace sluice::shuffle {

std::string ReduceTask::ToJson() const {
  nlohmann::json j{{"first", slices.begin}, {"end", slices.end}};
  if (left_maps) j["left_maps"] = {left_maps->begin, left_maps->end};
  if (right_maps) j["right_maps"] = {right_maps->begin, right_maps->end};
  return j.dump();
}

ReduceTask ReduceTask::FromJson(const std::string& json) {
  ReduceTask task;
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    j.at("first").get_to(task.slices.begin);
    j.at("end").get_to(task.slices.end);
    if (j.contains("left_maps")) task.left_maps = MapRange{j["left_maps"][0], j["left_maps"][1]};
    if (j.contains("right_maps")) {
      task.right_maps = MapRange{j["right_maps"][0], j["right_maps"][1]};
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidData("a reduce partition's definition is damaged: {}", e.what())
        .With("definition", json);
  }
  return task;
}

SplittableSides SplittableSidesOf(std::string_view how) {
  if (how == "inner") return {true, true};
  if (how == "left" || how == "semi" || how == "anti") return {true, false};
  if (how == "right") return {false, true};
  return {};
}

namespace {

std::vector<int64_t> SliceTotals(int slices, const MapSliceBytes& maps) {
  std::vector<int64_t> totals(static_cast<size_t>(slices), 0);
  for (const std::vector<int64_t>& map : maps) {
    for (size_t s = 0; s < totals.size() && s < map.size(); ++s) totals[s] += map[s];
  }
  return totals;
}

// Whether slice s is skewed on a side: a flag per slice, none for a side that may not split.
std::vector<bool> SkewedSlices(int slices, const MapSliceBytes& maps, bool splittable,
                               int64_t advisory_bytes) {
  std::vector<bool> skewed(static_cast<size_t>(slices), false);
  if (!splittable || maps.size() < 2) return skewed;
  for (int s : SkewedPartitions(SliceTotals(slices, maps), kSkewFactor, advisory_bytes)) {
    skewed[static_cast<size_t>(s)] = true;
  }
  return skewed;
}

// The side's map outputs in contiguous ranges of about target bytes of slice s (at least one map
// output each); one range of all of them when the slice is not skewed there.
std::vector<std::optional<MapRange>> MapRanges(const MapSliceBytes& maps, size_t s, bool skewed,
                                               int64_t target) {
  if (!skewed) return {std::nullopt};
  std::vector<std::optional<MapRange>> ranges;
  int begin = 0;
  int64_t bytes = 0;
  for (int m = 0; m < static_cast<int>(maps.size()); ++m) {
    const int64_t b = maps[static_cast<size_t>(m)][s];
    if (m > begin && bytes + b > target) {
      ranges.push_back(MapRange{begin, m});
      begin = m;
      bytes = 0;
    }
    bytes += b;
  }
  ranges.push_back(MapRange{begin, static_cast<int>(maps.size())});
  return ranges;
}

}  // namespace

std::vector<ReduceTask> PlanReduceTasks(int slices, const MapSliceBytes& left,
                                        const MapSliceBytes& right, SplittableSides sides,
                                        int64_t advisory_bytes, int min_tasks, int max_tasks) {
  std::vector<int64_t> totals = SliceTotals(slices, left);
  const std::vector<int64_t> right_totals = SliceTotals(slices, right);
  for (size_t s = 0; s < totals.size(); ++s) totals[s] += right_totals[s];
  const std::vector<bool> skewed_left = SkewedSlices(slices, left, sides.left, advisory_bytes);
  const std::vector<bool> skewed_right = SkewedSlices(slices, right, sides.right, advisory_bytes);
  std::vector<ReduceTask> tasks;
  for (const PartitionRange& range :
       CoalescePartitions(totals, advisory_bytes, min_tasks, max_tasks)) {
    int begin = range.begin;
    for (int s = range.begin; s < range.end; ++s) {
      const auto i = static_cast<size_t>(s);
      if (!skewed_left[i] && !skewed_right[i]) continue;
      if (begin < s) tasks.push_back({{begin, s}, std::nullopt, std::nullopt});
      for (const auto& l : MapRanges(left, i, skewed_left[i], advisory_bytes)) {
        for (const auto& r : MapRanges(right, i, skewed_right[i], advisory_bytes)) {
          tasks.push_back({{s, s + 1}, l, r});
        }
      }
      begin = s + 1;
    }
    if (begin < range.end) tasks.push_back({{begin, range.end}, std::nullopt, std::nullopt});
  }
  return tasks;
}

}  // namespace sluice::shuffle
