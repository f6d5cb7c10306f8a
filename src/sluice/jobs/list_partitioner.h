// ListPartitioner: an explicit list of keys, one partition each; its only placeholder is {key}.
//
// Thread safety: one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "sluice/jobs/partitioner.h"

namespace sluice::jobs {

class ListPartitioner : public Partitioner {
 public:
  // InvalidArgument naming the item for an empty key.
  explicit ListPartitioner(std::vector<std::string> keys);
  std::string Describe() const override;
  std::set<std::string, std::less<>> Fields() const override { return {}; }
  void Generate(const std::function<void(ledger::PartitionSpec)>& emit) override;

 private:
  std::vector<std::string> keys_;
};

}  // namespace sluice::jobs
