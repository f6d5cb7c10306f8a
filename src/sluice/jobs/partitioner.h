// Partitioner: splits a job's input into partitions (a unique key plus a JSON definition) and
// hands them out one at a time, so that the first partitions reach the ledger, and workers, while
// the rest are still being listed. Keys are deterministic functions of the input, so running a
// partitioner again after a crash adds only what is missing (AddPartitions is idempotent).
//
// FeedPartitions drains a partitioner into the ledger in batches and seals the job when it is done.
//
// Ownership: the caller owns the partitioner. Thread safety: a partitioner is used by one thread at
// a time; FeedPartitions may run on its own thread while workers use other Ledger objects.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "sluice/base/cancellation.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

class Partitioner {
 public:
  virtual ~Partitioner() = default;
  // What it partitions, for messages: "files logs/*.gz".
  virtual std::string Describe() const = 0;
  // The definition fields its partitions carry, which command placeholders may name.
  virtual std::set<std::string, std::less<>> Fields() const = 0;
  // Calls emit once per partition, in a deterministic order. Throws on bad input (a pattern
  // matching nothing is not an error: the job simply has no partitions).
  virtual void Generate(const std::function<void(ledger::PartitionSpec)>& emit) = 0;
};

struct FeedOptions {
  int64_t max_attempts = 3;
  // A batch goes to the ledger when it is this large or this old, whichever comes first.
  size_t batch_size = 500;
  std::chrono::milliseconds max_delay{100};
};

struct FeedResult {
  int64_t listed = 0;  // partitions the partitioner produced
  int64_t added = 0;   // of those, new to the ledger
};

// Streams the partitioner's output into the job and seals it. Stops with Cancelled when cancel
// fires (the job is left unsealed; a later run finishes the listing).
FeedResult FeedPartitions(ledger::Ledger& ledger, ledger::JobId job, Partitioner& partitioner,
                          const FeedOptions& options, const CancellationToken& cancel = {});

}  // namespace sluice::jobs
