#include "sluice/io/csv/bad_rows.h"

namespace sluice::csv {

void BadRowLog::Handle(Error error) {
  if (policy_ == BadRowPolicy::kError) throw std::move(error);
  std::lock_guard lock(mu_);
  ++count_;
  if (examples_.size() < keep_) examples_.push_back(error.what());
}

int64_t BadRowLog::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

std::vector<std::string> BadRowLog::examples() const {
  std::lock_guard lock(mu_);
  return examples_;
}

}  // namespace sluice::csv
