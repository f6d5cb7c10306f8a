#include "sluice/ops/group_by_merge_memory.h"

#include <chrono>

namespace sluice {
namespace {

// A waiting task looks again this often even without a wake-up (cancellation, missed wake-ups).
constexpr auto kRecheck = std::chrono::milliseconds(20);

}  // namespace

GroupByMergeMemory::GroupByMergeMemory(int64_t limit, CancellationToken cancel)
    : budget_(limit), cancel_(std::move(cancel)) {}

GroupByMergeMemory::Share::Share(GroupByMergeMemory& memory)
    : memory_(memory), held_(*memory.budget_.TryReserve(0)) {
  std::lock_guard lock(memory_.mu_);
  ++memory_.members_;
}

GroupByMergeMemory::Share::~Share() {
  held_.Release();
  {
    std::lock_guard lock(memory_.mu_);
    --memory_.members_;
  }
  memory_.Wake();
}

bool GroupByMergeMemory::Share::Grow(int64_t bytes, const Await& await) {
  if (bytes <= held_.bytes() || held_.TryResize(bytes)) return true;
  return await([&] { return memory_.WaitToGrow(held_, bytes); });
}

void GroupByMergeMemory::Share::GrowOverLimit(int64_t bytes) {
  if (bytes <= held_.bytes() || held_.TryResize(bytes)) return;
  held_.Merge(memory_.budget_.ReserveOverLimit(bytes - held_.bytes()));
}

void GroupByMergeMemory::Share::Shrink(int64_t bytes) {
  if (bytes >= held_.bytes()) return;
  held_.TryResize(bytes);
  memory_.Wake();
}

bool GroupByMergeMemory::WaitToGrow(Reservation& held, int64_t bytes) {
  std::unique_lock lock(mu_);
  ++waiting_;
  ++waits_;
  struct Done {
    int& waiting;
    ~Done() { --waiting; }
  } done{waiting_};
  while (!held.TryResize(bytes)) {
    // Only members that are not waiting themselves will release anything.
    if (members_ - waiting_ <= 0) {
      ++refusals_;
      return false;
    }
    cancel_.ThrowIfCancelled();
    released_.wait_for(lock, kRecheck);
  }
  return true;
}

void GroupByMergeMemory::Wake() {
  // Under the lock, so a task between its failed try and its wait cannot miss the wake-up.
  std::lock_guard lock(mu_);
  released_.notify_all();
}

int64_t GroupByMergeMemory::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

int64_t GroupByMergeMemory::refusals() const {
  std::lock_guard lock(mu_);
  return refusals_;
}

}  // namespace sluice
