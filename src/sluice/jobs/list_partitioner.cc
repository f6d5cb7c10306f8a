#include "sluice/jobs/list_partitioner.h"

#include "sluice/base/error.h"

namespace sluice::jobs {

ListPartitioner::ListPartitioner(std::vector<std::string> keys) : keys_(std::move(keys)) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].empty()) {
      throw InvalidArgument("empty key").With("list item", std::to_string(i + 1));
    }
  }
}

std::string ListPartitioner::Describe() const {
  return "list of " + std::to_string(keys_.size()) + " keys";
}

void ListPartitioner::Generate(const std::function<void(ledger::PartitionSpec)>& emit) {
  for (const std::string& key : keys_) emit({key, "{}"});
}

}  // namespace sluice::jobs
