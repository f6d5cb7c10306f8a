#include "sluice/jobs/partition_feeder.h"

namespace sluice::jobs {

PartitionFeeder::PartitionFeeder(const std::string& ledger_url,
                                 const ledger::LedgerOptions& ledger_options, ledger::JobId job,
                                 Partitioner& partitioner, const FeedOptions& options,
                                 CancellationSource& stop)
    : stop_(stop) {
  thread_ = std::thread([this, ledger_url, ledger_options, job, &partitioner, options] {
    try {
      auto ledger = ledger::OpenLedger(ledger_url, ledger_options);
      result_ = FeedPartitions(*ledger, job, partitioner, options, stop_.token());
    } catch (...) {
      error_ = std::current_exception();
      stop_.Cancel("listing partitions failed");
    }
  });
}

PartitionFeeder::~PartitionFeeder() {
  if (!thread_.joinable()) return;
  stop_.Cancel("the job stopped");
  thread_.join();
}

FeedResult PartitionFeeder::Finish() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
  return result_;
}

}  // namespace sluice::jobs
