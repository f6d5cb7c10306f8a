#include "sluice/jobs/bloom/bloom_stages.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/ops/bloom/bloom_filter_file.h"

namespace sluice {

std::vector<ledger::PartitionSpec> PartialPartitions(const BloomSpec& spec, int64_t max_attempts) {
  std::vector<ledger::PartitionSpec> out;
  nlohmann::json files = nlohmann::json::array();
  int64_t bytes = 0;
  auto close = [&] {
    if (files.empty()) return;
    out.push_back({jobs::StageKey(kPartialStage, static_cast<int64_t>(out.size())),
                   nlohmann::json{{"files", files}}.dump(), max_attempts});
    files = nlohmann::json::array();
    bytes = 0;
  };
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (!files.empty() && bytes + spec.input_bytes[i] > spec.partial_bytes) close();
    files.push_back(spec.inputs[i]);
    bytes += spec.input_bytes[i];
  }
  close();
  return out;
}

jobs::StagePlan BloomStagePlan(int64_t max_attempts, const jobs::OutputCommitter& committer) {
  jobs::StagePlan plan;
  plan.stages = {kPartialStage, kMergeStage};
  plan.plan = [max_attempts, &committer](size_t, const std::vector<ledger::PartitionRecord>& all) {
    jobs::PublishStage(committer, all, kPartialStage);
    const auto partials = std::count_if(all.begin(), all.end(), [](const auto& p) {
      return jobs::StageOfKey(p.key) == kPartialStage;
    });
    return std::vector<ledger::PartitionSpec>{{jobs::StageKey(kMergeStage, 0),
                                               nlohmann::json{{"partials", partials}}.dump(),
                                               max_attempts}};
  };
  return plan;
}

namespace {

// The partition's files into a filter of the job's size, as partial.bloom in the attempt's
// directory.
void RunPartial(const BloomSpec& spec, const jobs::TaskContext& context, const RunOptions& run) {
  std::vector<std::string> files;
  nlohmann::json::parse(context.lease.definition_json).at("files").get_to(files);
  RunOptions share = run;
  share.cancel = context.cancel;
  // Output "" writes nothing: the partial goes through the output commit instead.
  BloomJobResult r = RunBloomJob(spec.JobOptions(std::move(files)), share);
  for (const std::string& example : r.bad_row_examples) {
    SLUICE_LOG_WARN("bloom: {}: skipped bad row: {}", context.lease.key, example);
  }
  WriteBloomFilterFile(*fs::LocalFileSystem(), (context.output_dir / kPartialFile).string(),
                       r.file);
}

// Every committed partial ORed into the output, in partition order.
void RunMerge(const BloomSpec& spec, const jobs::TaskContext& context) {
  const int64_t partials =
      nlohmann::json::parse(context.lease.definition_json).at("partials").get<int64_t>();
  BloomFilterFile merged;
  for (int64_t p = 0; p < partials; ++p) {
    context.cancel.ThrowIfCancelled();
    const std::string path =
        fmt::format("{}/{}/{}", spec.work_dir,
                    jobs::EncodeKeyForPath(jobs::StageKey(kPartialStage, p)), kPartialFile);
    BloomFilterFile part = ReadBloomFilterFile(*fs::FileSystemFor(path), path);
    if (p == 0) {
      merged = std::move(part);
      continue;
    }
    if (part.filter.num_blocks() != merged.filter.num_blocks()) {
      throw InvalidData("a partial filter has {} blocks where the first has {}",
                        part.filter.num_blocks(), merged.filter.num_blocks())
          .With("file", path);
    }
    merged.filter.Merge(part.filter);
    merged.items += part.items;
  }
  merged.expected_items = spec.expected_items;
  merged.sizing = spec.sizing;
  merged.target_fpr = spec.fpr;
  if (merged.items > spec.expected_items) {
    SLUICE_LOG_WARN(
        "bloom: {} values inserted into a filter sized for {}; its false-positive rate is "
        "about {:.3g} instead of {}",
        merged.items, spec.expected_items,
        SplitBlockBloomFilter::ExpectedFpr(merged.filter.num_blocks(), merged.items), spec.fpr);
  }
  WriteBloomFilterFile(*fs::FileSystemFor(spec.output), spec.output, merged);
}

}  // namespace

void RunBloomTask(const BloomSpec& spec, const jobs::TaskContext& context, const RunOptions& run) {
  const std::string_view stage = jobs::StageOfKey(context.lease.key);
  if (stage == kPartialStage) return RunPartial(spec, context, run);
  if (stage == kMergeStage) return RunMerge(spec, context);
  throw InvalidArgument("partition {} is of no stage of a bloom job", context.lease.key);
}

}  // namespace sluice
