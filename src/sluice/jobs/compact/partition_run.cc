#include "sluice/jobs/compact/partition_run.h"

namespace sluice::compact {

std::optional<std::vector<InputFile>> PartitionRun::AddFooter(int index, InputFile file) {
  std::lock_guard lock(mu_);
  if (footers_.size() <= static_cast<size_t>(index))
    footers_.resize(static_cast<size_t>(index) + 1);
  footers_[static_cast<size_t>(index)] = std::move(file);
  ++received_;
  return TakeIfCompleteLocked();
}

std::optional<std::vector<InputFile>> PartitionRun::EndListing(int total) {
  std::lock_guard lock(mu_);
  total_ = total;
  return TakeIfCompleteLocked();
}

std::optional<std::vector<InputFile>> PartitionRun::TakeIfCompleteLocked() {
  if (planned_ || total_ < 0 || received_ < total_) return std::nullopt;
  planned_ = true;
  std::vector<InputFile> files;
  files.reserve(footers_.size());
  for (auto& f : footers_) {
    if (f) files.push_back(std::move(*f));
  }
  footers_.clear();
  return files;
}

void PartitionRun::SetPlan(std::shared_ptr<const PartitionPlan> plan, std::vector<InputFile> inputs,
                           bool finish) {
  bool done = false;
  {
    std::lock_guard lock(mu_);
    inputs_ = std::move(inputs);
    plan_ = std::move(plan);
    done = finish || plan_->files.empty();
  }
  if (done) outcome_.Succeed();
}

std::shared_ptr<const PartitionPlan> PartitionRun::plan() const {
  std::lock_guard lock(mu_);
  return plan_;
}

void PartitionRun::AddCounters(const parquet::ChunkConcatCounters& counters) {
  std::lock_guard lock(mu_);
  counters_.Add(counters);
}

parquet::ChunkConcatCounters PartitionRun::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void PartitionRun::AddSortStats(const SortStats& stats) {
  std::lock_guard lock(mu_);
  sort_counters_.Add(stats);
}

SortCounters PartitionRun::sort_counters() const {
  std::lock_guard lock(mu_);
  return sort_counters_;
}

void PartitionRun::FileWritten(OutputFileResult file) {
  bool done = false;
  {
    std::lock_guard lock(mu_);
    outputs_.push_back(std::move(file));
    done = plan_ && outputs_.size() == plan_->files.size();
  }
  if (done) outcome_.Succeed();
}

std::vector<OutputFileResult> PartitionRun::outputs() const {
  std::lock_guard lock(mu_);
  return outputs_;
}

}  // namespace sluice::compact
