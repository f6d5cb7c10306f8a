#include "sluice/compact/partition_run.h"

#include "sluice/base/error.h"

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
  std::lock_guard lock(mu_);
  inputs_ = std::move(inputs);
  plan_ = std::move(plan);
  if (finish || plan_->files.empty()) {
    done_ = true;
    cv_.notify_all();
  }
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

void PartitionRun::FileWritten(OutputFileResult file) {
  std::lock_guard lock(mu_);
  outputs_.push_back(std::move(file));
  if (plan_ && outputs_.size() == plan_->files.size()) {
    done_ = true;
    cv_.notify_all();
  }
}

std::vector<OutputFileResult> PartitionRun::outputs() const {
  std::lock_guard lock(mu_);
  return outputs_;
}

void PartitionRun::Fail(std::exception_ptr error) {
  std::lock_guard lock(mu_);
  if (error_ || done_) return;
  error_ = std::move(error);
  failed_.store(true, std::memory_order_release);
  cv_.notify_all();
}

void PartitionRun::Wait(const CancellationToken& cancel) {
  Subscription sub = cancel.Subscribe([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_ || error_ || cancel.cancelled(); });
  if (error_) std::rethrow_exception(error_);
  if (!done_) {
    error_ = std::make_exception_ptr(Cancelled("{}", cancel.reason()));
    failed_.store(true, std::memory_order_release);
    std::rethrow_exception(error_);
  }
}

}  // namespace sluice::compact
