#include "sluice/jobs/shuffle/shuffle_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/shuffle/reduce_plan.h"

namespace sluice::shuffle {

namespace {

// Appends map partitions of consecutive files of about spec.map_bytes; a right side's say so.
void AddMapPartitions(const ShuffleSpec& spec, const std::vector<std::string>& inputs,
                      const std::vector<int64_t>& bytes_of, std::string_view side,
                      int64_t max_attempts, std::vector<ledger::PartitionSpec>& out) {
  nlohmann::json files = nlohmann::json::array();
  int64_t bytes = 0;
  auto close = [&] {
    if (files.empty()) return;
    nlohmann::json definition{{"files", files}};
    if (!side.empty()) definition["side"] = side;
    out.push_back({jobs::StageKey(kMapStage, static_cast<int64_t>(out.size())), definition.dump(),
                   max_attempts});
    files = nlohmann::json::array();
    bytes = 0;
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!files.empty() && bytes + bytes_of[i] > spec.map_bytes) close();
    files.push_back(inputs[i]);
    bytes += bytes_of[i];
  }
  close();
}

}  // namespace

std::vector<ledger::PartitionSpec> MapPartitions(const ShuffleSpec& spec, int64_t max_attempts) {
  std::vector<ledger::PartitionSpec> out;
  AddMapPartitions(spec, spec.inputs, spec.input_bytes, "", max_attempts, out);
  AddMapPartitions(spec, spec.right_inputs, spec.right_input_bytes, kRightSide, max_attempts, out);
  return out;
}

std::string CommittedFile(const ShuffleSpec& spec, std::string_view key, std::string_view file) {
  return fmt::format("{}/{}/{}", spec.work_dir, jobs::EncodeKeyForPath(key), file);
}

namespace {

// Each map output's measured bytes per slice, by side (the left or only one, and a join's right).
// Each map output's measured bytes per slice, by side (the left or only one, and a join's right).
// LostInputError naming the map partitions whose index is gone: they run again (shuffle_job.cc).
std::pair<MapSliceBytes, MapSliceBytes> MeasuredSliceBytes(const ShuffleSpec& spec) {
  std::pair<MapSliceBytes, MapSliceBytes> sides;
  std::vector<std::string> lost;
  std::string first_lost;
  for (const ledger::PartitionSpec& map : MapPartitions(spec, 1)) {
    const std::string path = CommittedFile(spec, map.key, kMapIndexFile);
    std::string text;
    try {
      text = fs::ReadWholeFile(*fs::FileSystemFor(path), path);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      lost.push_back(map.key);
      if (first_lost.empty()) first_lost = path;
      continue;
    }
    MapIndex index = MapIndex::FromJson(text, path);
    if (index.bytes.size() != static_cast<size_t>(spec.partitions)) {
      throw InvalidData("a map output has {} slices where the job has {}", index.bytes.size(),
                        spec.partitions)
          .With("file", path);
    }
    const bool right = nlohmann::json::parse(map.definition_json).value("side", "") == kRightSide;
    (right ? sides.second : sides.first).push_back(std::move(index.bytes));
  }
  if (!lost.empty()) throw jobs::LostInputError(lost, fmt::format("map output {}", first_lost));
  return sides;
}

std::vector<ledger::PartitionSpec> ReducePartitions(const ShuffleSpec& spec, int64_t max_attempts) {
  const auto [left, right] = MeasuredSliceBytes(spec);
  const SplittableSides sides =
      spec.kind == kJoinJobKind ? SplittableSidesOf(spec.how) : SplittableSides{};
  std::vector<ledger::PartitionSpec> out;
  // A global top-N's map outputs hold N rows each, all in slice 0: one task takes them all.
  const int max_tasks = spec.IsTopN() && spec.per.empty() ? 1 : spec.partitions;
  for (const ReduceTask& task :
       PlanReduceTasks(spec.partitions, left, right, sides, spec.advisory_bytes,
                       std::min(spec.min_reducers, max_tasks), max_tasks)) {
    out.push_back({jobs::StageKey(kReduceStage, static_cast<int64_t>(out.size())), task.ToJson(),
                   max_attempts});
  }
  return out;
}

}  // namespace

std::vector<ledger::PartitionSpec> FirstStagePartitions(const ShuffleSpec& spec,
                                                        int64_t max_attempts) {
  if (spec.kind == kSortJobKind && !spec.IsTopN())
    return {{jobs::StageKey(kSampleStage, 0), "{}", max_attempts}};
  return MapPartitions(spec, max_attempts);
}

jobs::StagePlan ShuffleStagePlan(const ShuffleSpec& spec, int64_t max_attempts,
                                 const jobs::OutputCommitter& committer) {
  jobs::StagePlan plan;
  plan.stages = spec.Stages();
  plan.plan = [spec, max_attempts, stages = plan.stages, &committer](
                  size_t stage, const std::vector<ledger::PartitionRecord>& all) {
    jobs::PublishStage(committer, all, stages[stage - 1]);
    if (stages[stage] == kMapStage) return MapPartitions(spec, max_attempts);
    if (stages[stage] == kReduceStage) return ReducePartitions(spec, max_attempts);
    const auto reducers = std::count_if(all.begin(), all.end(), [](const auto& p) {
      return jobs::StageOfKey(p.key) == kReduceStage;
    });
    return std::vector<ledger::PartitionSpec>{{jobs::StageKey(kGatherStage, 0),
                                               nlohmann::json{{"reducers", reducers}}.dump(),
                                               max_attempts}};
  };
  return plan;
}

}  // namespace sluice::shuffle
