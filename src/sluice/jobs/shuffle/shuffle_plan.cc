#include "sluice/jobs/shuffle/shuffle_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/ops/partition_coalescing.h"

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

std::vector<const ledger::PartitionRecord*> MapPartitionsOf(
    const std::vector<ledger::PartitionRecord>& all) {
  std::vector<const ledger::PartitionRecord*> maps;
  for (const ledger::PartitionRecord& p : all) {
    if (jobs::StageOfKey(p.key) == kMapStage) maps.push_back(&p);
  }
  std::sort(maps.begin(), maps.end(), [](auto* a, auto* b) { return a->key < b->key; });
  return maps;
}

namespace {

std::vector<ledger::PartitionSpec> ReducePartitions(
    const ShuffleSpec& spec, int64_t max_attempts,
    const std::vector<ledger::PartitionRecord>& all) {
  std::vector<int64_t> bytes(static_cast<size_t>(spec.partitions), 0);
  for (const ledger::PartitionRecord* map : MapPartitionsOf(all)) {
    const std::string path = CommittedFile(spec, map->key, kMapIndexFile);
    const MapIndex index =
        MapIndex::FromJson(fs::ReadWholeFile(*fs::FileSystemFor(path), path), path);
    if (index.bytes.size() != bytes.size()) {
      throw InvalidData("a map output has {} slices where the job has {}", index.bytes.size(),
                        bytes.size())
          .With("file", path);
    }
    for (size_t s = 0; s < bytes.size(); ++s) bytes[s] += index.bytes[s];
  }
  std::vector<ledger::PartitionSpec> out;
  for (const PartitionRange& range :
       CoalescePartitions(bytes, spec.advisory_bytes, spec.min_reducers, spec.partitions)) {
    const std::string definition =
        nlohmann::json{{"first", range.begin}, {"end", range.end}}.dump();
    out.push_back(
        {jobs::StageKey(kReduceStage, static_cast<int64_t>(out.size())), definition, max_attempts});
  }
  return out;
}

}  // namespace

std::vector<ledger::PartitionSpec> FirstStagePartitions(const ShuffleSpec& spec,
                                                        int64_t max_attempts) {
  if (spec.kind == kSortJobKind) return {{jobs::StageKey(kSampleStage, 0), "{}", max_attempts}};
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
    if (stages[stage] == kReduceStage) return ReducePartitions(spec, max_attempts, all);
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
