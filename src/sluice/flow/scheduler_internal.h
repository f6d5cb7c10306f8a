// Scheduler: runs one chain of stages on a fixed CPU pool and an elastic I/O pool inside one
// MemoryBudget. All scheduling state sits under one mutex (mu_); stage functions run without it.
//
// Accounting: an item is charged to the account of the stage that produced it, from the moment
// it is emitted until the next stage has finished with it. Each stage's account has a reserved
// share so upstream stages cannot take the bytes a downstream stage needs. Admission reserves
// the expected output of a task before it starts; the real size replaces the estimate when the
// output is pushed. When nothing can move (every running task waits for room and nothing can be
// admitted) the most downstream waiter is let through alone, over the limit, with a warning.
//
// Thread safety: internal to RunPipeline; every field below is guarded by mu_ unless marked.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/flow/stage_internal.h"

namespace sluice::flow_internal {

using Clock = std::chrono::steady_clock;

// Items a stage's input queue may hold. The budget bounds bytes; this bounds the count, so tiny
// items do not pile up by the hundred thousand (cache misses, allocator churn) when a core could
// be running the consumer instead.
inline constexpr size_t kQueueCapItems = 1024;
inline constexpr int kSpinRounds = 300;

// Items handed from one stage to the next together, paid for by one reservation in the
// producing stage's account. Consumers take whole groups or split them.
struct ItemGroup {
  std::vector<Item> items;
  size_t next = 0;    // items before this index were taken
  int64_t bytes = 0;  // of the items not yet taken
  Reservation paid;   // pays for the items not yet taken
  size_t size() const { return items.size() - next; }
};

struct Task {
  int stage = 0;
  enum class Kind { kRun, kFinish, kFlush } kind = Kind::kRun;
  bool io = false;
  std::vector<Item> inputs;
  Reservation inputs_paid;     // pays for inputs, in the upstream stage's account
  int64_t consumed_bytes = 0;  // of inputs destroyed but still in inputs_paid (task's thread)
  Reservation pending;         // admission estimate, in this stage's account
  std::vector<Item> outputs;   // emitted, not yet pushed
  int64_t output_bytes = 0;
  Clock::time_point first_output{};
  uint64_t position = 0;  // ordered runs: the task's place in its stage's output order
  Clock::time_point started{};
  Clock::time_point last_progress{};  // start, or the last time it pushed outputs
  std::string item;                   // what the task works on, for reports
  Clock::duration waited{};           // time blocked on the budget or a core
  bool waiting = false;               // blocked on the budget now
  bool awaiting_input = false;        // blocked on input from outside the pipeline now
  bool stalled = false;               // chosen to break a stall
  bool hung_reported = false;
  int64_t input_count = 0;
  int64_t emitted = 0;
  int64_t emitted_bytes = 0;
};

struct ReorderSlot {
  std::vector<ItemGroup> groups;
  bool done = false;
};

struct StageState {
  StageSpec* spec = nullptr;
  int index = 0;
  bool io = false;
  std::string resource;
  MemoryAccount* account = nullptr;
  int64_t initial_share = 0;

  std::deque<ItemGroup> queue;
  size_t queue_items = 0;
  int64_t queue_bytes = 0;
  bool input_done = false;  // upstream finished and pushed everything
  bool started = false;     // sources: the one task was handed out
  bool finish_scheduled = false;
  bool flush_requested = false;
  bool finished = false;
  int running = 0;
  int waiting = 0;         // running tasks blocked on the budget
  int awaiting_input = 0;  // running tasks blocked on input from outside the pipeline

  int min_concurrency = 1;
  int max_concurrency = 1;
  int limit = 1;
  int peak_limit = 1;

  // Ordered runs.
  uint64_t next_position = 0;
  uint64_t next_release = 0;
  std::map<uint64_t, ReorderSlot> reorder;

  // Estimates (EWMA) for admission and chunk sizes.
  double out_bytes_per_input = 0;
  double out_bytes_per_output = 0;
  double ns_per_input = 0;
  bool has_estimates = false;

  // Metrics.
  StageCounters counters;
  StageTimes times;
  Clock::duration busy{};
  int64_t cpu_ns = 0;  // thread CPU time inside the stage's function (CLOCK_THREAD_CPUTIME_ID)
  int64_t overdrafts = 0;
  int64_t borrows = 0;  // stalls broken by ignoring other stages' shares (within the limit)
  int64_t early_flushes = 0;
  std::vector<StageSecond> seconds;
  StageCounters second_start_counters;
  StageTimes second_start_times;
  // Autoscaler window start.
  StageTimes scale_times;
  int64_t arrivals = 0;
  int64_t scale_arrivals = 0;
  int64_t scale_backlog = 0;  // queue_items at the last autoscaler decision
  int backed_up_at = 0;       // the limit when the stage last had its output backed up (autoscaler)
  Clock::time_point last_scaled{};  // the autoscaler's last decision (its window's start)

  std::atomic<bool> downstream_hungry{false};  // read without mu_ by emitters
};

class Scheduler {
 public:
  Scheduler(std::string name, std::vector<StageSpec>& specs, const RunOptions& options);
  ~Scheduler();
  RunReport Run();

  // TaskContext entry points (called without mu_).
  void Emit(Task& task, Item item);
  // Hands over the task's queued outputs now (blocking like Emit while there is no room).
  void FlushOutputs(Task& task);
  // Marks a running task of `task`'s stage as waiting for outside input (sampled as idle).
  void SetAwaitingInput(Task& task, bool awaiting);
  void EmitReserved(Task& task, Item item, Reservation paid);
  Reservation Keep(Task& task, Item& input, const std::function<bool()>& on_stall);
  void SetCurrentItem(Task& task, const std::string& description);
  // Counts bytes a sink wrote out of the pipeline as its stage's bytes out.
  void CountWritten(Task& task, int64_t bytes);
  const CancellationToken& cancel() const { return cancel_token_; }

 private:
  enum class Pool { kCpu = 0, kIo = 1 };
  struct PoolState {
    std::condition_variable cv;
    std::vector<std::thread> threads;
    int idle = 0;     // threads waiting on cv
    int wakeups = 0;  // signals sent to idle threads and not yet taken: one per signal, not per
                      // notification, so a burst of new work does not signal the same thread
                      // over and over (each signal is a system call)
  };

  // scheduler.cc: workers and task lifecycle.
  void WorkerLoop(Pool pool);
  // Spins briefly for new work without the lock; returns whether any appeared.
  bool SpinForWorkLocked(std::unique_lock<std::mutex>& lock);
  // The stage a worker of `pool` should run next (most downstream first), or -1.
  int FindStageLocked(Pool pool, Task::Kind* kind, int64_t* estimate, bool* forced) const;
  Task* PickLocked(Pool pool);
  bool AdmissibleLocked(StageState& s, int64_t* estimate) const;
  // Whether a stage below `stage` has input and a free slot but no room in the budget for its
  // next task: bytes freed now are its, not new outputs' of `stage` or above (downstream first
  // for admissions, as waiters already are).
  bool DownstreamShortOfBudgetLocked(int stage) const;
  int ChunkSizeLocked(const StageState& s) const;
  int64_t EstimateLocked(const StageState& s, int chunk) const;
  void ExecuteLocked(std::unique_lock<std::mutex>& lock, Task* task);
  void CompleteLocked(std::unique_lock<std::mutex>& lock, Task& task);
  void UpdateFinishedLocked();
  void NotifyWorkLocked();
  void FailLocked(std::exception_ptr error, const std::string& stage, const std::string& item);
  void AbortLocked(std::exception_ptr error);
  int ResourceRunningLocked(const std::string& resource) const;
  int ResourceCap(const std::string& resource) const;

  // scheduler_budget.cc: output, budget waits and stalls.
  void FlushOutputsLocked(std::unique_lock<std::mutex>& lock, Task& task, bool final);
  // A Source or FlatMap reserves room for its next output before producing it, as admission
  // did for its first: what it produces outside the pipeline is paid for before it exists.
  void ReserveNextOutputLocked(std::unique_lock<std::mutex>& lock, Task& task,
                               int64_t last_output_bytes);
  void PushLocked(StageState& s, Task& task, ItemGroup group);
  // Pays for `bytes` when the pipeline stalls: other stages' unused shares first, then over the
  // limit with a warning.
  Reservation ReserveToBreakStallLocked(StageState& s, int64_t bytes);
  void ReleaseOrderedLocked(StageState& s);
  void PushDownstreamLocked(StageState& s, ItemGroup group);
  // Moves up to `count` items from the stage's queue into the task.
  void TakeInputsLocked(StageState& s, Task& task, size_t count);
  // Waits until try_op() succeeds (returns true) or this task is chosen to break a stall (false).
  bool WaitForBudgetLocked(std::unique_lock<std::mutex>& lock, Task& task,
                           const std::function<bool()>& try_op);
  bool HigherWaiterLocked(int stage) const;
  bool QueueHasRoomLocked(const StageState& s) const;
  int MaxWaiterStageLocked() const;
  void CheckStallLocked();
  void ReleaseCoreLocked(Task& task);
  void AcquireCoreLocked(std::unique_lock<std::mutex>& lock, Task& task);

  // scheduler_metrics.cc: sampling, autoscaling, hung tasks, report.
  void TickerLoop();
  void SampleLocked(double slot_ms);
  void CloseSecondLocked(double end_seconds);
  void SampleRssLocked();
  // At the end of a run: a warning naming this pipeline when the process's RSS passed the
  // allowance of the command's budget.
  void CheckRssLocked();
  void AutoscaleLocked(Clock::time_point now);
  void ResizeSharesLocked();
  void DetectHungLocked(Clock::time_point now);
  RunReport BuildReportLocked(bool with_history);
  void UpdateEstimatesLocked(StageState& s, const Task& task, Clock::duration busy);

  const std::string name_;
  const RunOptions options_;
  MemoryBudget budget_;  // thread-safe itself
  CancellationSource cancel_source_;
  CancellationToken cancel_token_;  // immutable after construction
  int cpu_threads_ = 1;
  Clock::time_point start_;

  std::mutex mu_;
  std::vector<std::unique_ptr<StageState>> stages_;
  PoolState pools_[2];
  std::condition_variable budget_cv_;  // budget freed, stall broken or run aborted
  std::condition_variable core_cv_;    // a core slot freed
  std::condition_variable done_cv_;
  std::vector<int> waiters_;  // per stage: tasks blocked on the budget
  int cpu_active_ = 0;        // CPU tasks holding a core slot
  int resumers_ = 0;          // tasks waiting to get their core back
  int blocked_cpu_ = 0;       // CPU tasks that gave up their core while blocked on the budget
  int active_tasks_ = 0;      // running tasks not blocked on the budget
  bool force_admit_ = false;
  std::atomic<uint64_t> work_epoch_{
      0};  // bumped when items are queued; read by spinning workers  // liveness: admit the most
           // downstream stage regardless of budget
  bool done_ = false;
  bool aborted_ = false;
  std::exception_ptr error_;
  std::vector<Task*> running_tasks_;
  std::vector<HungTask> hung_tasks_;
  std::vector<std::string> warnings_;
  int64_t peak_rss_ = 0;
  int64_t second_rss_ = 0;  // the most sampled in the current second
  std::vector<MemorySecond> memory_seconds_;
  std::thread ticker_;
  std::condition_variable ticker_cv_;
  Subscription cancel_subscription_;
};

}  // namespace sluice::flow_internal
