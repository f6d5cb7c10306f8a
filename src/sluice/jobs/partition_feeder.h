// PartitionFeeder: FeedPartitions on a thread of its own, with its own ledger connection, so that
// a worker beside it claims the first partitions while the rest are still being listed (run,
// compact). A listing that fails cancels `stop` ("listing partitions failed"), so the worker
// beside it gives up rather than wait for partitions that will never come; the job is then left
// unsealed and a later run finishes the listing.
//
// Ownership: the caller owns the partitioner and the stop source, which must outlive the feeder.
// Thread safety: construct, Finish and destroy on one thread; the listing runs on the feeder's.
#pragma once

#include <exception>
#include <string>
#include <thread>

#include "sluice/base/cancellation.h"
#include "sluice/jobs/partitioner.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

class PartitionFeeder {
 public:
  // Starts listing at once.
  PartitionFeeder(const std::string& ledger_url, const ledger::LedgerOptions& ledger_options,
                  ledger::JobId job, Partitioner& partitioner, const FeedOptions& options,
                  CancellationSource& stop);
  // Not finished: cancels `stop` (the caller is leaving on an error) and waits for the listing.
  ~PartitionFeeder();
  PartitionFeeder(const PartitionFeeder&) = delete;
  PartitionFeeder& operator=(const PartitionFeeder&) = delete;

  // Waits for the listing to end; rethrows its error (Cancelled when `stop` fired first).
  FeedResult Finish();

 private:
  CancellationSource& stop_;
  FeedResult result_;         // written by thread_ until it is joined
  std::exception_ptr error_;  // written by thread_ until it is joined
  std::thread thread_;
};

}  // namespace sluice::jobs
