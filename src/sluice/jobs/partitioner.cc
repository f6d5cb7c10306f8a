#include "sluice/jobs/partitioner.h"

#include <vector>

namespace sluice::jobs {

FeedResult FeedPartitions(ledger::Ledger& ledger, ledger::JobId job, Partitioner& partitioner,
                          const FeedOptions& options, const CancellationToken& cancel) {
  FeedResult result;
  std::vector<ledger::PartitionSpec> batch;
  auto oldest = std::chrono::steady_clock::now();
  auto flush = [&] {
    if (batch.empty()) return;
    result.added += ledger.AddPartitions(job, batch);
    batch.clear();
  };
  partitioner.Generate([&](ledger::PartitionSpec spec) {
    cancel.ThrowIfCancelled();
    spec.max_attempts = options.max_attempts;
    if (batch.empty()) oldest = std::chrono::steady_clock::now();
    batch.push_back(std::move(spec));
    ++result.listed;
    // The first partitions go out at once so workers start while listing continues.
    if (batch.size() >= options.batch_size || result.listed <= 16 ||
        std::chrono::steady_clock::now() - oldest >= options.max_delay) {
      flush();
    }
  });
  flush();
  cancel.ThrowIfCancelled();
  ledger.SealJob(job);
  return result;
}

}  // namespace sluice::jobs
