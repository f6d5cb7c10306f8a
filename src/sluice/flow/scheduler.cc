// Scheduler: construction, the worker loop, picking tasks and their lifecycle.
#include <algorithm>
#include <cmath>

#include "sluice/base/check.h"
#include "sluice/base/cores.h"
#include "sluice/base/heap_tuning.h"
#include "sluice/base/log.h"
#include "sluice/base/thread_clock.h"
#include "sluice/flow/scheduler_internal.h"

namespace sluice::flow_internal {
namespace {

// A CPU task should run about this long so per-task scheduling cost stays small.
constexpr double kTargetTaskNs = 200'000;
constexpr int kMaxChunk = 256;
// Splitting a queue among free cores stops at pieces this long: below it, picking and completing
// the extra task costs more than the parallelism gains.
constexpr double kMinSplitTaskNs = 25'000;
constexpr double kClockTasksAboveNs = 100'000;
// Half the budget is split into per-stage shares; the rest is shared.
constexpr double kReservedFraction = 0.5;

bool ProducesOutput(StageType type) {
  return type != StageType::kSink && type != StageType::kReduce;
}

}  // namespace

const char* StageTypeName(StageType type) {
  switch (type) {
    case StageType::kSource:
      return "source";
    case StageType::kMap:
      return "map";
    case StageType::kFilter:
      return "filter";
    case StageType::kFlatMap:
      return "flat_map";
    case StageType::kBatch:
      return "batch";
    case StageType::kSink:
      return "sink";
    case StageType::kReduce:
      return "reduce";
  }
  return "?";
}

Scheduler::Scheduler(std::string name, std::vector<StageSpec>& specs, const RunOptions& options)
    : name_(std::move(name)),
      options_(options),
      budget_(options.memory_budget),
      cancel_token_(cancel_source_.token()) {
  // Every pipeline streams buffers between threads: reuse them instead of faulting them in anew.
  TuneHeapForStreaming();
  if (specs.empty()) throw InvalidArgument("pipeline '{}' has no stages", name_);
  if (specs.front().type != StageType::kSource) {
    throw InvalidArgument("pipeline '{}' must start with a source", name_);
  }
  if (ProducesOutput(specs.back().type)) {
    throw InvalidArgument("pipeline '{}' must end with a sink or a reduce, not stage '{}'", name_,
                          specs.back().name);
  }
  if (options.memory_budget <= 0) throw InvalidArgument("memory budget must be positive");
  cpu_threads_ = options.cpu_threads > 0 ? options.cpu_threads : UsableCores();
  int producers = 0;
  for (const StageSpec& spec : specs) producers += ProducesOutput(spec.type) ? 1 : 0;
  const int64_t share =
      static_cast<int64_t>(kReservedFraction * static_cast<double>(options.memory_budget)) /
      std::max(1, producers);
  for (size_t i = 0; i < specs.size(); ++i) {
    StageSpec& spec = specs[i];
    if (i > 0 && spec.type == StageType::kSource) {
      throw InvalidArgument("stage '{}': a source can only be the first stage", spec.name);
    }
    if (i + 1 < specs.size() && !ProducesOutput(spec.type)) {
      throw InvalidArgument("stage '{}': a {} must be the last stage", spec.name,
                            StageTypeName(spec.type));
    }
    auto s = std::make_unique<StageState>();
    s->spec = &spec;
    s->index = static_cast<int>(i);
    s->io = spec.options.kind == StageKind::kIo;
    s->resource = s->io ? (spec.options.resource.empty() ? "io" : spec.options.resource) : "";
    s->initial_share = ProducesOutput(spec.type) ? share : 0;
    s->account = budget_.CreateAccount(spec.name, s->initial_share);
    const bool single = spec.type == StageType::kSource || spec.sequential ||
                        (options.preserve_order && !ProducesOutput(spec.type));
    int natural_max = s->io ? ResourceCap(s->resource) : cpu_threads_;
    int max = spec.options.max_concurrency > 0 ? spec.options.max_concurrency : natural_max;
    int min = spec.options.min_concurrency > 0 ? spec.options.min_concurrency : 1;
    if (min > max) {
      throw InvalidArgument("stage '{}': min concurrency {} exceeds max {}", spec.name, min, max);
    }
    if (single) min = max = 1;
    s->min_concurrency = min;
    s->max_concurrency = max;
    // CPU stages start at full width (downstream-first picking already keeps cheap stages from
    // hogging cores). I/O stages start at four tasks per core, enough to keep the cores fed when
    // a task waits a few times longer than it computes; the autoscaler moves them from there
    // (starting at one cost a short run its first 100-200 ms in doublings).
    s->limit = options.autoscale && s->io ? std::clamp(4 * cpu_threads_, min, max) : max;
    s->peak_limit = s->limit;
    stages_.push_back(std::move(s));
  }
  waiters_.assign(stages_.size(), 0);
  cancel_subscription_ = options.cancel.Subscribe([this] {
    std::unique_lock lock(mu_);
    AbortLocked(std::make_exception_ptr(Cancelled("{}", options_.cancel.reason())));
  });
}

Scheduler::~Scheduler() {
  cancel_subscription_ = Subscription();
  // Everything the budget paid for must be gone before the budget is.
  for (auto& s : stages_) {
    s->queue.clear();
    s->reorder.clear();
    s->spec->logic->Discard();
  }
}

int Scheduler::ResourceCap(const std::string& resource) const {
  auto it = options_.resource_caps.find(resource);
  return std::max(1, it != options_.resource_caps.end() ? it->second : options_.default_io_cap);
}

int Scheduler::ResourceRunningLocked(const std::string& resource) const {
  int running = 0;
  for (const auto& s : stages_) {
    if (s->io && s->resource == resource) running += s->running;
  }
  return running;
}

RunReport Scheduler::Run() {
  std::unique_lock lock(mu_);
  start_ = Clock::now();
  for (auto& s : stages_) s->last_scaled = start_;
  for (int i = 0; i < cpu_threads_; ++i) {
    pools_[0].threads.emplace_back([this] { WorkerLoop(Pool::kCpu); });
  }
  SampleRssLocked();
  ticker_ = std::thread([this] { TickerLoop(); });
  NotifyWorkLocked();
  done_cv_.wait(lock, [&] { return done_ || aborted_; });
  // Wake everyone so they see the end, then join without the lock: workers finish their task.
  for (PoolState& pool : pools_) pool.cv.notify_all();
  budget_cv_.notify_all();
  core_cv_.notify_all();
  ticker_cv_.notify_all();
  const bool aborted = aborted_;
  lock.unlock();
  if (aborted) cancel_source_.Cancel("pipeline aborted");
  ticker_.join();
  // I/O threads may still be spawned by a finishing CPU task, so join until none remain.
  for (;;) {
    std::vector<std::thread> threads;
    lock.lock();
    for (PoolState& pool : pools_) {
      for (auto& t : pool.threads) threads.push_back(std::move(t));
      pool.threads.clear();
    }
    lock.unlock();
    if (threads.empty()) break;
    for (auto& t : threads) t.join();
  }
  lock.lock();
  SampleRssLocked();
  CloseSecondLocked(std::chrono::duration<double>(Clock::now() - start_).count());
  CheckRssLocked();
  RunReport report = BuildReportLocked(/*with_history=*/true);
  std::exception_ptr error = error_;
  lock.unlock();
  if (options_.on_report) options_.on_report(report);
  if (!options_.report_path.empty()) {
    try {
      report.Write(options_.report_path);
    } catch (const Error& e) {
      // The user asked for the report: a run that cannot write it fails, so that a script sees
      // it; a run that failed already keeps its own error first.
      if (error) {
        SLUICE_LOG_ERROR("could not write the run report: {}", e.what());
      } else {
        error = std::make_exception_ptr(Error(e).With("flag", "--report"));
      }
    }
  }
  if (error) std::rethrow_exception(error);
  return report;
}

void Scheduler::WorkerLoop(Pool pool) {
  std::unique_lock lock(mu_);
  PoolState& state = pools_[static_cast<int>(pool)];
  while (!done_ && !aborted_) {
    Task* task = PickLocked(pool);
    if (task == nullptr) {
      CheckStallLocked();
      task = PickLocked(pool);
    }
    if (task == nullptr && SpinForWorkLocked(lock)) continue;
    // The spin dropped the lock: the run may have ended meanwhile.
    if (task == nullptr && (done_ || aborted_)) break;
    if (task == nullptr) {
      ++state.idle;
      state.cv.wait(lock, [&] { return state.wakeups > 0 || done_ || aborted_; });
      if (state.wakeups > 0) --state.wakeups;
      --state.idle;
      continue;
    }
    // More work may be waiting for another thread.
    NotifyWorkLocked();
    ExecuteLocked(lock, task);
  }
}

bool Scheduler::SpinForWorkLocked(std::unique_lock<std::mutex>& lock) {
  // Work often appears within microseconds while other tasks run; a short spin saves the
  // sleep and wake-up (two system calls and a context switch) that would cost more.
  if (active_tasks_ == 0) return false;
  const uint64_t epoch = work_epoch_.load(std::memory_order_relaxed);
  lock.unlock();
  for (int i = 0; i < kSpinRounds; ++i) {
    __builtin_ia32_pause();
    if (work_epoch_.load(std::memory_order_relaxed) != epoch) break;
  }
  lock.lock();
  // Checked again under the lock: the epoch is only bumped under it, so a notification that came
  // after the last look is not lost.
  return work_epoch_.load(std::memory_order_relaxed) != epoch;
}

bool Scheduler::AdmissibleLocked(StageState& s, int64_t* estimate) const {
  if (options_.preserve_order) {
    const uint64_t window = 4 * static_cast<uint64_t>(s.max_concurrency) + 8;
    if (s.next_position - s.next_release >= window) return false;
  }
  // A task blocked on the budget at or below this stage has the first claim on freed bytes.
  if (s.index <= MaxWaiterStageLocked()) return false;
  *estimate = EstimateLocked(s, ChunkSizeLocked(s));
  if (*estimate <= 0) return true;
  return !DownstreamShortOfBudgetLocked(s.index) && budget_.CanReserve(*estimate, s.account);
}

bool Scheduler::DownstreamShortOfBudgetLocked(int stage) const {
  for (int j = static_cast<int>(stages_.size()) - 1; j > stage; --j) {
    const StageState& d = *stages_[j];
    if (d.finished || d.queue_items == 0 || d.running >= d.limit) continue;
    if (d.spec->sequential && d.running > 0) continue;
    if (d.io && ResourceRunningLocked(d.resource) >= ResourceCap(d.resource)) continue;
    // A task larger than the whole budget gets in only through the stall check; holding
    // bytes back for it would serialize everything above it.
    const int64_t estimate = EstimateLocked(d, ChunkSizeLocked(d));
    if (estimate > 0 && estimate <= budget_.limit() && !budget_.CanReserve(estimate, d.account)) {
      return true;
    }
  }
  return false;
}

int Scheduler::FindStageLocked(Pool pool, Task::Kind* kind, int64_t* estimate, bool* forced) const {
  if (aborted_ || done_) return -1;
  if (pool == Pool::kCpu && (cpu_active_ >= cpu_threads_ || resumers_ > 0)) return -1;
  for (int j = static_cast<int>(stages_.size()) - 1; j >= 0; --j) {
    StageState& s = *stages_[j];
    if (s.io != (pool == Pool::kIo) || s.finished || s.running >= s.limit) continue;
    if (s.io && ResourceRunningLocked(s.resource) >= ResourceCap(s.resource)) continue;
    *estimate = 0;
    *forced = false;
    if (s.spec->type == StageType::kSource) {
      if (s.started) continue;
      *kind = Task::Kind::kRun;
    } else if (s.flush_requested) {
      if (s.running > 0) continue;
      *kind = Task::Kind::kFlush;
      return j;
    } else if (s.queue_items > 0) {
      if (s.spec->sequential && s.running > 0) continue;
      *kind = Task::Kind::kRun;
    } else if (s.input_done && s.running == 0 && !s.finish_scheduled &&
               s.spec->logic->NeedsFinish()) {
      *kind = Task::Kind::kFinish;
      return j;
    } else {
      continue;
    }
    if (AdmissibleLocked(s, estimate)) return j;
    if (force_admit_) {
      *estimate = 0;
      *forced = true;
      return j;
    }
  }
  return -1;
}

Task* Scheduler::PickLocked(Pool pool) {
  Task::Kind kind;
  int64_t estimate = 0;
  bool forced = false;
  const int j = FindStageLocked(pool, &kind, &estimate, &forced);
  if (j < 0) return nullptr;
  StageState& s = *stages_[j];
  auto task = std::make_unique<Task>();
  task->stage = j;
  task->kind = kind;
  task->io = s.io;
  if (forced) force_admit_ = false;
  if (kind == Task::Kind::kRun) {
    if (estimate > 0) {
      std::optional<Reservation> pending = budget_.TryReserve(estimate, s.account);
      if (!pending) return nullptr;
      task->pending = std::move(*pending);
    }
    if (s.spec->type == StageType::kSource) {
      s.started = true;
    } else {
      const bool was_full = s.queue_items >= kQueueCapItems;
      const size_t chunk = std::min<size_t>(ChunkSizeLocked(s), s.queue_items);
      TakeInputsLocked(s, *task, chunk);
      if (chunk == 1) task->item = task->inputs.front().value.Describe();
      if (s.queue_items == 0 && s.index > 0) stages_[j - 1]->downstream_hungry.store(true);
      if (was_full) budget_cv_.notify_all();  // producers waiting for queue room
    }
  } else if (kind == Task::Kind::kFinish) {
    s.finish_scheduled = true;
  } else {
    s.flush_requested = false;
    ++s.early_flushes;
  }
  if (options_.preserve_order) {
    task->position = s.next_position++;
    s.reorder[task->position];
  }
  task->started = Clock::now();
  task->last_progress = task->started;
  ++s.running;
  ++active_tasks_;
  if (!task->io) ++cpu_active_;
  running_tasks_.push_back(task.get());
  return task.release();
}

void Scheduler::TakeInputsLocked(StageState& s, Task& task, size_t count) {
  task.inputs.reserve(count);
  while (count > 0 && !s.queue.empty()) {
    ItemGroup& group = s.queue.front();
    const size_t n = std::min(count, group.size());
    int64_t bytes = 0;
    if (n == group.size()) {
      bytes = group.bytes;
      if (task.inputs.empty() && group.next == 0) {
        task.inputs = std::move(group.items);
      } else {
        for (size_t i = group.next; i < group.items.size(); ++i) {
          task.inputs.push_back(std::move(group.items[i]));
        }
      }
      task.inputs_paid.Merge(std::move(group.paid));
      s.queue.pop_front();
    } else {
      for (size_t i = 0; i < n; ++i) {
        Item& item = group.items[group.next + i];
        bytes += item.bytes;
        task.inputs.push_back(std::move(item));
      }
      group.next += n;
      group.bytes -= bytes;
      task.inputs_paid.Merge(group.paid.Split(bytes));
    }
    count -= n;
    s.queue_items -= n;
    s.queue_bytes -= bytes;
    s.counters.bytes_in += bytes;
    s.counters.items_in += static_cast<int64_t>(n);
  }
  task.input_count = static_cast<int64_t>(task.inputs.size());
}

int Scheduler::ChunkSizeLocked(const StageState& s) const {
  if (s.io || s.spec->type == StageType::kSource || !s.has_estimates) return 1;
  const double ns = std::max(1.0, s.ns_per_input);
  const int chunk = static_cast<int>(std::clamp(kTargetTaskNs / ns, 1.0, double{kMaxChunk}));
  const int min_piece =
      static_cast<int>(std::clamp(kMinSplitTaskNs / ns, 1.0, static_cast<double>(chunk)));
  // Leave work for the other slots of this stage, but only for slots a core could run now: split
  // for a core that is busy elsewhere and the pieces just get smaller down the chain.
  const int free_cores = cpu_threads_ - cpu_active_;
  const int free_slots = std::max(1, std::min(s.limit - s.running, free_cores));
  const int fair = static_cast<int>((s.queue_items + free_slots - 1) / free_slots);
  return std::max(min_piece, std::min(chunk, fair));
}

int64_t Scheduler::EstimateLocked(const StageState& s, int chunk) const {
  switch (s.spec->type) {
    case StageType::kMap:
    case StageType::kFilter:
      return static_cast<int64_t>(s.out_bytes_per_input * chunk);
    case StageType::kSource:
    case StageType::kFlatMap:
      return static_cast<int64_t>(s.out_bytes_per_output);
    default:
      return 0;
  }
}

void Scheduler::ExecuteLocked(std::unique_lock<std::mutex>& lock, Task* task) {
  StageState& s = *stages_[task->stage];
  // The thread clocks are system calls (about 2 us each on a VM): read them only around tasks
  // long enough for that not to matter. A short CPU task is hardly ever preempted, so its wall
  // time stands in for its CPU time.
  const bool clocked =
      task->io || !s.has_estimates ||
      s.ns_per_input * static_cast<double>(task->input_count) >= kClockTasksAboveNs;
  lock.unlock();
  std::exception_ptr error;
  const Clock::time_point begin = Clock::now();
  const int64_t cpu_begin = clocked ? ThreadCpuNs() : 0;
  const int64_t runqueue_begin = clocked ? ThreadRunqueueWaitNs() : 0;
  try {
    TaskContext ctx(this, task);
    switch (task->kind) {
      case Task::Kind::kRun:
        s.spec->logic->Run(ctx, task->inputs);
        break;
      case Task::Kind::kFinish:
        s.spec->logic->Finish(ctx);
        break;
      case Task::Kind::kFlush:
        s.spec->logic->Flush(ctx);
        break;
    }
  } catch (...) {
    error = std::current_exception();
  }
  const Clock::duration busy = Clock::now() - begin - task->waited;
  const int64_t cpu_ns = clocked
                             ? ThreadCpuNs() - cpu_begin
                             : std::chrono::duration_cast<std::chrono::nanoseconds>(busy).count();
  const Clock::duration runqueue_wait =
      std::chrono::nanoseconds(clocked ? ThreadRunqueueWaitNs() - runqueue_begin : 0);
  lock.lock();
  s.cpu_ns += cpu_ns;
  if (!error && !aborted_) {
    try {
      CompleteLocked(lock, *task);
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) FailLocked(error, s.spec->name, task->item);
  s.busy += busy;
  // The estimate is what a task takes with a core free when it wants one.
  UpdateEstimatesLocked(s, *task, std::max(Clock::duration{}, busy - runqueue_wait));
  task->inputs.clear();
  task->inputs_paid.Release();
  task->outputs.clear();
  task->pending.Release();
  running_tasks_.erase(std::find(running_tasks_.begin(), running_tasks_.end(), task));
  --s.running;
  --active_tasks_;
  if (!task->io) {
    --cpu_active_;
    core_cv_.notify_one();
  }
  if (options_.preserve_order) {
    s.reorder[task->position].done = true;
    ReleaseOrderedLocked(s);
  }
  delete task;
  UpdateFinishedLocked();
  budget_cv_.notify_all();
  NotifyWorkLocked();
  CheckStallLocked();
}

void Scheduler::CompleteLocked(std::unique_lock<std::mutex>& lock, Task& task) {
  // The function has returned: its inputs are gone, so their bytes pay for the outputs.
  task.inputs_paid.Release();
  task.inputs.clear();
  FlushOutputsLocked(lock, task, /*final=*/true);
}

void Scheduler::UpdateFinishedLocked() {
  for (size_t j = 0; j < stages_.size(); ++j) {
    StageState& s = *stages_[j];
    if (s.finished) continue;
    const bool inputs_over =
        s.spec->type == StageType::kSource ? s.started : (s.input_done && s.queue_items == 0);
    if (!inputs_over || s.running > 0 || s.flush_requested || !s.reorder.empty()) return;
    if (s.spec->logic->NeedsFinish() && !s.finish_scheduled) return;
    s.finished = true;
    if (j + 1 < stages_.size()) {
      stages_[j + 1]->input_done = true;
    } else {
      done_ = true;
      done_cv_.notify_all();
      for (PoolState& pool : pools_) pool.cv.notify_all();
      ticker_cv_.notify_all();
    }
  }
}

void Scheduler::NotifyWorkLocked() {
  // Spinning workers are not idle and get no signal: the epoch tells them to look again.
  work_epoch_.fetch_add(1, std::memory_order_relaxed);
  Task::Kind kind;
  int64_t estimate;
  bool forced;
  for (Pool pool : {Pool::kCpu, Pool::kIo}) {
    PoolState& state = pools_[static_cast<int>(pool)];
    // Elastic pools: a CPU thread stands in for each CPU task blocked on the budget (it gave up
    // its core); I/O threads grow up to what the I/O stages may run at once.
    size_t wanted = static_cast<size_t>(cpu_threads_ + blocked_cpu_);
    if (pool == Pool::kIo) {
      wanted = 0;
      for (const auto& s : stages_) wanted += s->io ? static_cast<size_t>(s->limit) : 0;
    }
    const bool can_spawn = !done_ && !aborted_ && state.threads.size() < wanted;
    const bool can_wake = state.idle > state.wakeups;
    // Every thread is busy or already told; a thread told but not yet awake takes the work.
    if (!can_wake && (state.idle > 0 || !can_spawn)) continue;
    if (FindStageLocked(pool, &kind, &estimate, &forced) < 0) continue;
    if (can_wake) {
      ++state.wakeups;
      state.cv.notify_one();
    } else {
      state.threads.emplace_back([this, pool] { WorkerLoop(pool); });
    }
  }
}

void Scheduler::FailLocked(std::exception_ptr error, const std::string& stage,
                           const std::string& item) {
  if (aborted_) return;  // the first error wins; later ones are usually its echo
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    Error wrapped = e;
    wrapped.With("stage", stage);
    if (!item.empty()) wrapped.With("item", item);
    error = std::make_exception_ptr(wrapped);
  } catch (const std::exception& e) {
    Error wrapped(ErrorKind::kInternal, e.what());
    wrapped.With("stage", stage);
    if (!item.empty()) wrapped.With("item", item);
    error = std::make_exception_ptr(wrapped);
  } catch (...) {
    error = std::make_exception_ptr(
        InternalError("stage function threw a non-standard exception").With("stage", stage));
  }
  AbortLocked(error);
}

void Scheduler::AbortLocked(std::exception_ptr error) {
  if (aborted_ || done_) return;
  aborted_ = true;
  error_ = error;
  done_cv_.notify_all();
  for (PoolState& pool : pools_) pool.cv.notify_all();
  budget_cv_.notify_all();
  core_cv_.notify_all();
  ticker_cv_.notify_all();
}

void Scheduler::SetCurrentItem(Task& task, const std::string& description) {
  std::lock_guard lock(mu_);
  task.item = description;
}

void Scheduler::CountWritten(Task& task, int64_t bytes) {
  std::lock_guard lock(mu_);
  stages_[task.stage]->counters.bytes_out += bytes;
}

void TaskContext::Emit(ItemValue value, int64_t bytes) {
  scheduler_->Emit(*task_, Item{std::move(value), bytes});
}

void TaskContext::Flush() { scheduler_->FlushOutputs(*task_); }

void TaskContext::Consumed(Item& input) {
  input.value = ItemValue();
  task_->consumed_bytes += input.bytes;
  input.bytes = 0;
}

void TaskContext::SetAwaitingInput(bool awaiting) {
  scheduler_->SetAwaitingInput(*task_, awaiting);
}

void TaskContext::EmitReserved(ItemValue value, Reservation reservation) {
  const int64_t bytes = reservation.bytes();
  scheduler_->EmitReserved(*task_, Item{std::move(value), bytes}, std::move(reservation));
}

Reservation TaskContext::Keep(Item& input, const std::function<bool()>& on_stall) {
  return scheduler_->Keep(*task_, input, on_stall);
}

void TaskContext::SetCurrentItem(const std::string& description) {
  scheduler_->SetCurrentItem(*task_, description);
}

void TaskContext::Wrote(int64_t bytes) { scheduler_->CountWritten(*task_, bytes); }

const CancellationToken& TaskContext::cancel() const { return scheduler_->cancel(); }

RunReport RunPipeline(const std::string& name, std::vector<StageSpec>& stages,
                      const RunOptions& options) {
  Scheduler scheduler(name, stages, options);
  return scheduler.Run();
}

}  // namespace sluice::flow_internal
