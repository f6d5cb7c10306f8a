#include "sluice/jobs/bloom/bloom_insert.h"

#include <algorithm>
#include <thread>

#include "sluice/base/bytes.h"
#include "sluice/base/log.h"

namespace sluice {

BloomInsertPlan PlanBloomInsert(const RunOptions& run, int64_t expected, double fpr) {
  BloomInsertPlan plan;
  plan.blocks = SplitBlockBloomFilter::BlocksFor(expected, fpr);
  const int64_t filter_bytes =
      plan.blocks * static_cast<int64_t>(SplitBlockBloomFilter::kBytesPerBlock);
  const int threads = run.cpu_threads > 0
                          ? run.cpu_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  plan.partials = static_cast<int>(
      std::clamp<int64_t>(1 + run.memory_budget / 2 / std::max<int64_t>(filter_bytes, 1), 1, 64));
  plan.partials = std::min(plan.partials, (threads + 3) / 4);
  plan.run = run;
  // Every partial filter, the first too, is reduce state that no item carries: the executor's
  // items get what they leave.
  plan.run.memory_budget =
      std::max<int64_t>(run.memory_budget - plan.partials * filter_bytes, run.memory_budget / 4);
  return plan;
}

RunOptions SizingPassOptions(const RunOptions& run) {
  RunOptions quiet = run;
  quiet.report_path.clear();
  quiet.progress = ProgressMode::kOff;
  return quiet;
}

ReduceResult<BloomPartial> AddBloomInsert(Stream<BloomHashes> hashes, const BloomInsertPlan& plan) {
  return hashes.Reduce(
      "insert", BloomPartial{plan.blocks, {}, 0, 0},
      [](BloomPartial& s, BloomHashes batch) {
        if (s.filter.empty()) s.filter = SplitBlockBloomFilter(s.blocks);
        s.filter.InsertMany(batch.hashes);
        s.rows += batch.rows;
        s.nulls += batch.nulls;
      },
      [](BloomPartial& into, BloomPartial&& part) {
        if (into.filter.empty()) {
          into.filter = std::move(part.filter);
        } else if (!part.filter.empty()) {
          into.filter.Merge(part.filter);
        }
        into.rows += part.rows;
        into.nulls += part.nulls;
      },
      {.max_concurrency = plan.partials});
}

void FinishBloomResult(BloomPartial& merged, const BloomJobOptions& options, BloomValueType type,
                       int64_t expected, const BloomInsertPlan& plan, fs::FileSystem& output_fs,
                       BloomJobResult& result) {
  if (merged.filter.empty()) merged.filter = SplitBlockBloomFilter(plan.blocks);
  result.partial_filters = plan.partials;
  result.rows = merged.rows;
  result.nulls = merged.nulls;
  result.file.column = options.column;
  result.file.value_type = type;
  result.file.items = merged.rows - merged.nulls;
  result.file.expected_items = expected;
  result.file.target_fpr = options.fpr;
  result.file.filter = std::move(merged.filter);
  if (result.file.items > expected) {
    SLUICE_LOG_WARN(
        "bloom: {} values inserted into a filter sized for {}; its false-positive rate is "
        "about {:.3g} instead of {}",
        result.file.items, expected,
        SplitBlockBloomFilter::ExpectedFpr(plan.blocks, result.file.items), options.fpr);
  }
  if (!options.output.empty()) {
    WriteBloomFilterFile(output_fs, options.output, result.file);
    SLUICE_LOG_DEBUG("bloom: wrote {}", options.output);
  }
}

}  // namespace sluice
