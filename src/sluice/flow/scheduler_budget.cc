// Scheduler: outputs, budget waits, ordered release and breaking stalls.
#include <algorithm>

#include "sluice/base/check.h"
#include "sluice/base/log.h"
#include "sluice/flow/scheduler_internal.h"

namespace sluice::flow_internal {
namespace {

// Emitters hand over outputs in groups to keep per-item locking low, but never sit on an output
// while the next stage starves, and never longer than this.
constexpr int kEmitGroup = 256;
constexpr auto kEmitDelay = std::chrono::microseconds(500);
constexpr auto kHungryDelay = std::chrono::microseconds(20);
// A task holds at most this many bytes of outputs beyond what it has paid for: a producer of
// large items (file chunks) hands each over, paid, before producing the next, while small items
// still go in groups.
constexpr int64_t kUnpaidOutputBytes = int64_t{256} << 10;

}  // namespace

void Scheduler::Emit(Task& task, Item item) {
  const bool first = task.outputs.empty();
  const int64_t bytes = item.bytes;
  task.output_bytes += bytes;
  task.outputs.push_back(std::move(item));
  // Handed over (and the next output paid for) when one more output like this one would not be
  // paid for.
  bool flush = task.outputs.size() >= kEmitGroup ||
               task.output_bytes >= options_.memory_budget / 16 ||
               task.output_bytes + bytes > task.pending.bytes() + kUnpaidOutputBytes;
  if (!flush) {
    // The clock is read at the 1st, 2nd, 4th, 8th... output of a group: a slow producer is
    // checked after almost every item, a fast one a few times per group (each read costs more
    // than a cheap stage's item). A starving stage gets what is ready once the group has waited
    // kHungryDelay, so a fast producer still hands over groups while a slow one never sits on
    // an output.
    const size_t n = task.outputs.size();
    if ((n & (n - 1)) == 0) {
      const bool hungry = stages_[task.stage]->downstream_hungry.load(std::memory_order_relaxed);
      const Clock::time_point now = Clock::now();
      if (first) task.first_output = now;
      const Clock::duration waited = now - task.first_output;
      flush = waited >= kEmitDelay || (hungry && !first && waited >= kHungryDelay);
    }
  }
  if (!flush) return;
  std::unique_lock lock(mu_);
  FlushOutputsLocked(lock, task, /*final=*/false);
}

void Scheduler::FlushOutputs(Task& task) {
  if (task.outputs.empty()) return;
  std::unique_lock lock(mu_);
  FlushOutputsLocked(lock, task, /*final=*/false);
}

void Scheduler::SetAwaitingInput(Task& task, bool awaiting) {
  std::lock_guard lock(mu_);
  stages_[task.stage]->awaiting_input += awaiting ? 1 : -1;
  task.awaiting_input = awaiting;
  // A task waiting outside the pipeline makes no progress inside it, and what it waits for may
  // itself wait on the pipeline (a ledger worker waiting for its partition to finish): it must
  // not keep the stall check from breaking a budget deadlock among the other tasks.
  if (awaiting) {
    --active_tasks_;
    CheckStallLocked();
  } else {
    ++active_tasks_;
    // Waiting for outside input is not being stuck: the hung-task clock starts again.
    task.last_progress = Clock::now();
  }
}

void Scheduler::EmitReserved(Task& task, Item item, Reservation paid) {
  std::unique_lock lock(mu_);
  if (aborted_) throw Cancelled("pipeline aborted");
  FlushOutputsLocked(lock, task, /*final=*/false);
  StageState& s = *stages_[task.stage];
  SLUICE_CHECK(paid.account() == s.account);
  s.counters.items_out += 1;
  s.counters.bytes_out += item.bytes;
  ++task.emitted;
  task.emitted_bytes += item.bytes;
  ItemGroup group;
  group.bytes = item.bytes;
  group.items.push_back(std::move(item));
  group.paid = std::move(paid);
  PushLocked(s, task, std::move(group));
  NotifyWorkLocked();
}

Reservation Scheduler::Keep(Task& task, Item& input, const std::function<bool()>& on_stall) {
  std::unique_lock lock(mu_);
  StageState& s = *stages_[task.stage];
  Reservation kept = task.inputs_paid.Split(input.bytes);
  while (!WaitForBudgetLocked(lock, task, [&] { return kept.TryTransfer(s.account); })) {
    lock.unlock();
    const bool flushed = on_stall && on_stall();
    lock.lock();
    if (flushed) {
      ++s.early_flushes;
      continue;
    }
    kept.Release();
    kept = ReserveToBreakStallLocked(s, input.bytes);
    break;
  }
  return kept;
}

void Scheduler::FlushOutputsLocked(std::unique_lock<std::mutex>& lock, Task& task, bool final) {
  if (aborted_) throw Cancelled("pipeline aborted");
  if (task.outputs.empty()) return;
  StageState& s = *stages_[task.stage];
  const int64_t bytes = task.output_bytes;
  if (task.consumed_bytes > 0 && task.inputs_paid) {
    // Inputs already destroyed make room first (for this output, or for a waiter).
    task.inputs_paid.Split(std::min(task.consumed_bytes, task.inputs_paid.bytes())).Release();
    task.consumed_bytes = 0;
    if (MaxWaiterStageLocked() >= 0) budget_cv_.notify_all();
  }
  if (!task.pending) task.pending = *budget_.TryReserve(0, s.account);
  // Room means space in the next queue and bytes in the budget; the admission estimate counts
  // toward the bytes and is grown in place.
  auto room = [&] {
    return QueueHasRoomLocked(s) &&
           (task.pending.bytes() >= bytes ||
            (!DownstreamShortOfBudgetLocked(s.index) && task.pending.TryResize(bytes)));
  };
  if (!WaitForBudgetLocked(lock, task, room) && task.pending.bytes() < bytes) {
    task.pending.Merge(ReserveToBreakStallLocked(s, bytes - task.pending.bytes()));
  }
  Reservation paid =
      task.pending.bytes() > bytes ? task.pending.Split(bytes) : std::move(task.pending);
  const int64_t count = static_cast<int64_t>(task.outputs.size());
  ItemGroup group;
  group.items = std::move(task.outputs);
  group.bytes = bytes;
  group.paid = std::move(paid);
  PushLocked(s, task, std::move(group));
  s.counters.items_out += count;
  s.counters.bytes_out += bytes;
  task.emitted += count;
  task.emitted_bytes += bytes;
  task.outputs.clear();
  // The next group is likely as large: one allocation instead of a doubling series.
  if (!final) task.outputs.reserve(static_cast<size_t>(count));
  task.output_bytes = 0;
  task.last_progress = Clock::now();
  if (final) return;
  NotifyWorkLocked();
  ReserveNextOutputLocked(lock, task, bytes / count);
}

void Scheduler::ReserveNextOutputLocked(std::unique_lock<std::mutex>& lock, Task& task,
                                        int64_t last_output_bytes) {
  StageState& s = *stages_[task.stage];
  if (s.spec->type != StageType::kSource && s.spec->type != StageType::kFlatMap) return;
  // The stage's estimate is learnt from finished tasks; a producer's first task (one file read
  // whole) has none, and its outputs so far are the better guess.
  const int64_t estimate = std::max(EstimateLocked(s, 1), last_output_bytes);
  if (estimate <= task.pending.bytes()) return;
  if (!task.pending) task.pending = *budget_.TryReserve(0, s.account);
  // When the pipeline stalls meanwhile the task goes on unpaid; its next hand-over breaks the
  // stall as any other would.
  WaitForBudgetLocked(lock, task, [&] {
    return !DownstreamShortOfBudgetLocked(s.index) && task.pending.TryResize(estimate);
  });
}

Reservation Scheduler::ReserveToBreakStallLocked(StageState& s, int64_t bytes) {
  // Within the limit, shares give way first; only an item the whole budget cannot hold now
  // goes over it.
  if (std::optional<Reservation> r = budget_.TryReserveIgnoringShares(bytes, s.account)) {
    ++s.borrows;
    return std::move(*r);
  }
  Reservation r = budget_.ReserveOverLimit(bytes, s.account);
  // Warn on the first overdraft of a stage and on every item larger than the whole budget.
  if (s.overdrafts++ > 0 && bytes <= budget_.limit()) return r;
  std::string warning = fmt::format(
      "stage '{}': let {} pass over the memory budget of {} because nothing else could move; a "
      "larger --memory avoids this",
      s.spec->name, FormatBytes(bytes), FormatBytes(budget_.limit()));
  SLUICE_LOG_WARN("{}", warning);
  warnings_.push_back(std::move(warning));
  return r;
}

void Scheduler::PushLocked(StageState& s, Task& task, ItemGroup group) {
  if (!options_.preserve_order || task.position == s.next_release) {
    PushDownstreamLocked(s, std::move(group));
  } else {
    s.reorder[task.position].groups.push_back(std::move(group));
  }
}

void Scheduler::ReleaseOrderedLocked(StageState& s) {
  while (!s.reorder.empty()) {
    auto it = s.reorder.begin();
    SLUICE_CHECK_EQ(it->first, s.next_release);
    for (ItemGroup& group : it->second.groups) PushDownstreamLocked(s, std::move(group));
    it->second.groups.clear();
    if (!it->second.done) break;
    s.reorder.erase(it);
    ++s.next_release;
  }
}

void Scheduler::PushDownstreamLocked(StageState& s, ItemGroup group) {
  SLUICE_CHECK_LT(s.index + 1, static_cast<int>(stages_.size()));
  StageState& next = *stages_[s.index + 1];
  next.queue_items += group.size();
  next.queue_bytes += group.bytes;
  next.arrivals += static_cast<int64_t>(group.size());
  next.queue.push_back(std::move(group));
  work_epoch_.fetch_add(1, std::memory_order_relaxed);
  s.downstream_hungry.store(false, std::memory_order_relaxed);
}

bool Scheduler::QueueHasRoomLocked(const StageState& s) const {
  return stages_[s.index + 1]->queue_items < kQueueCapItems;
}

int Scheduler::MaxWaiterStageLocked() const {
  for (int j = static_cast<int>(waiters_.size()) - 1; j >= 0; --j) {
    if (waiters_[j] > 0) return j;
  }
  return -1;
}

bool Scheduler::HigherWaiterLocked(int stage) const { return MaxWaiterStageLocked() > stage; }

bool Scheduler::WaitForBudgetLocked(std::unique_lock<std::mutex>& lock, Task& task,
                                    const std::function<bool()>& try_op) {
  if (!HigherWaiterLocked(task.stage) && try_op()) return true;
  StageState& s = *stages_[task.stage];
  const Clock::time_point begin = Clock::now();
  task.waiting = true;
  ++waiters_[task.stage];
  ++s.waiting;
  --active_tasks_;
  ReleaseCoreLocked(task);
  CheckStallLocked();
  bool ok = false;
  for (;;) {
    if (aborted_) break;
    if (!HigherWaiterLocked(task.stage) && try_op()) {
      ok = true;
      break;
    }
    if (task.stalled) {
      // Chosen to break a stall, but others may have moved since: confirm it is still stuck
      // (the check picks this task again if so) before going over anything.
      task.stalled = false;
      CheckStallLocked();
      if (task.stalled) {
        task.stalled = false;
        break;
      }
    }
    budget_cv_.wait(lock);
  }
  task.waiting = false;
  --waiters_[task.stage];
  --s.waiting;
  ++active_tasks_;
  // Lower waiters may now try, and admission below this stage may reopen.
  budget_cv_.notify_all();
  AcquireCoreLocked(lock, task);
  task.waited += Clock::now() - begin;
  if (aborted_) throw Cancelled("pipeline aborted");
  return ok;
}

void Scheduler::ReleaseCoreLocked(Task& task) {
  if (task.io) return;
  --cpu_active_;
  ++blocked_cpu_;
  core_cv_.notify_one();
  NotifyWorkLocked();
}

void Scheduler::AcquireCoreLocked(std::unique_lock<std::mutex>& lock, Task& task) {
  if (task.io) return;
  --blocked_cpu_;
  ++resumers_;
  core_cv_.wait(lock, [&] { return cpu_active_ < cpu_threads_ || aborted_; });
  --resumers_;
  ++cpu_active_;
}

void Scheduler::CheckStallLocked() {
  if (done_ || aborted_ || active_tasks_ > 0) return;
  Task::Kind kind;
  int64_t estimate;
  bool forced;
  if (FindStageLocked(Pool::kCpu, &kind, &estimate, &forced) >= 0 ||
      FindStageLocked(Pool::kIo, &kind, &estimate, &forced) >= 0) {
    NotifyWorkLocked();
    return;
  }
  // Nothing runs and nothing may start. First choice: a stage holding items below every waiter
  // emits them early (Batch closes its open bin), which frees room without exceeding the budget.
  Task* waiter = nullptr;
  for (Task* t : running_tasks_) {
    if (t->waiting && (waiter == nullptr || t->stage > waiter->stage)) waiter = t;
  }
  for (int j = static_cast<int>(stages_.size()) - 1; j >= 0; --j) {
    if (waiter != nullptr && j <= waiter->stage) break;
    StageState& s = *stages_[j];
    if (s.running == 0 && !s.flush_requested && s.spec->logic->HoldsItems()) {
      s.flush_requested = true;
      NotifyWorkLocked();
      return;
    }
  }
  // Then run the most downstream stage with input, if it is below every waiter: it frees room.
  for (int j = static_cast<int>(stages_.size()) - 1; j >= 0; --j) {
    if (waiter != nullptr && j <= waiter->stage) break;
    if (stages_[j]->queue_items > 0) {
      force_admit_ = true;
      NotifyWorkLocked();
      return;
    }
  }
  // Then the most downstream waiter goes ahead alone (over the limit, or flushing what it holds).
  if (waiter != nullptr) {
    waiter->stalled = true;
    budget_cv_.notify_all();
    return;
  }
  // Nothing is running at all: start the source whatever its estimate.
  force_admit_ = true;
  NotifyWorkLocked();
}

}  // namespace sluice::flow_internal
