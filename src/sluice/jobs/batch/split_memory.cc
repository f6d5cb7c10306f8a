#include "sluice/jobs/batch/split_memory.h"

#include <algorithm>

namespace sluice::batch {

SplitMemoryPlan PlanSplitMemory(int64_t budget, int64_t writers, int64_t unit_read_bytes) {
  SplitMemoryPlan plan;
  writers = std::max<int64_t>(1, writers);
  const int64_t share = std::max(
      budget / 4,
      writers * (kWriterFixedBytes + kWriterBytesPerRowGroupByte * kMinWriterRowGroupBytes));
  plan.row_group_bytes =
      std::clamp<int64_t>((share / writers - kWriterFixedBytes) / kWriterBytesPerRowGroupByte,
                          kMinWriterRowGroupBytes, kMaxWriterRowGroupBytes);
  plan.writers = writers * (kWriterFixedBytes + kWriterBytesPerRowGroupByte * plan.row_group_bytes);
  const int64_t left = std::max<int64_t>(0, budget - plan.writers);
  unit_read_bytes = std::max<int64_t>(0, unit_read_bytes);
  plan.reads = 2 * unit_read_bytes <= left / 3 ? 2 : 1;
  // An estimate (of a read too large for the budget anyway) must not starve the executor.
  plan.reads_bytes = std::min<int64_t>(plan.reads * unit_read_bytes, left / 2);
  plan.pipeline = std::max<int64_t>(kMinPipelineBytes, left - plan.reads_bytes);
  return plan;
}

}  // namespace sluice::batch
