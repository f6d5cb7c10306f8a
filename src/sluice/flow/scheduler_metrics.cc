// Scheduler: sampling where each stage's time goes, autoscaling, hung tasks and the report.
#include <algorithm>
#include <cmath>

#include "sluice/base/bytes.h"
#include "sluice/base/log.h"
#include "sluice/base/process_memory.h"
#include "sluice/flow/autoscaler.h"
#include "sluice/flow/progress_view.h"
#include "sluice/flow/scheduler_internal.h"
#include "sluice/flow/verdict.h"

namespace sluice::flow_internal {
namespace {

constexpr auto kSampleEvery = std::chrono::milliseconds(10);
constexpr auto kScaleEvery = std::chrono::milliseconds(200);
// Decisions come faster while the run warms up, so short runs do not spend their first half
// second at the starting concurrency.
constexpr auto kWarmupScaleEvery = std::chrono::milliseconds(20);
constexpr auto kWarmup = std::chrono::seconds(1);
constexpr auto kSecond = std::chrono::seconds(1);
constexpr double kEwmaAlpha = 0.3;
// A task is hung when it makes no progress for this many times its stage's typical task.
constexpr double kHungFactor = 50;

double Ewma(double old_value, double sample, bool has_old) {
  return has_old ? old_value + kEwmaAlpha * (sample - old_value) : sample;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

void Scheduler::TickerLoop() {
  std::unique_lock lock(mu_);
  ProgressView view(options_.progress);
  Clock::time_point last_sample = start_;
  Clock::time_point next_scale = start_ + kWarmupScaleEvery;
  Clock::time_point next_second = start_ + kSecond;
  Clock::time_point next_progress = start_ + options_.progress_interval;
  while (!done_ && !aborted_) {
    ticker_cv_.wait_until(lock, last_sample + kSampleEvery);
    if (done_ || aborted_) break;
    const Clock::time_point now = Clock::now();
    if (now - last_sample < kSampleEvery) continue;
    SampleLocked(Ms(now - last_sample));
    SampleRssLocked();
    last_sample = now;
    if (now >= next_second) {
      CloseSecondLocked(std::chrono::duration<double>(now - start_).count());
      DetectHungLocked(now);
      next_second += kSecond;
      if (options_.on_report) {
        RunReport so_far = BuildReportLocked(/*with_history=*/true);
        lock.unlock();
        options_.on_report(so_far);
        lock.lock();
      }
    }
    if (now >= next_scale) {
      ResizeSharesLocked();
      if (options_.autoscale) {
        AutoscaleLocked(now);
      }
      next_scale = now + (now - start_ < kWarmup ? kWarmupScaleEvery : kScaleEvery);
    }
    // A resized terminal is redrawn at once: its old frame may have been rewrapped.
    if (view.enabled() && (now >= next_progress || view.resized())) {
      RunReport snapshot = BuildReportLocked(/*with_history=*/false);
      lock.unlock();
      view.Update(snapshot);
      lock.lock();
      next_progress = now + options_.progress_interval;
    }
  }
  lock.unlock();
  view.Finish();
}

void Scheduler::SampleLocked(double slot_ms) {
  for (auto& sp : stages_) {
    StageState& s = *sp;
    if (s.finished) continue;
    const int blocked = s.waiting;
    const int awaiting = std::min(s.awaiting_input, s.running - blocked);
    s.times.busy_ms += (s.running - blocked - awaiting) * slot_ms;
    s.times.backpressured_ms += blocked * slot_ms;
    s.times.idle_ms += awaiting * slot_ms;
    const int free_slots = std::max(0, s.limit - s.running);
    if (free_slots == 0) continue;
    int64_t work = s.spec->type == StageType::kSource ? (s.started ? 0 : 1)
                                                      : static_cast<int64_t>(s.queue_items);
    if (s.spec->sequential && s.running > 0) work = 0;
    const int usable = static_cast<int>(std::min<int64_t>(free_slots, work));
    s.times.idle_ms += (free_slots - usable) * slot_ms;
    if (usable == 0) continue;
    int64_t estimate = 0;
    if (AdmissibleLocked(s, &estimate)) {
      s.times.waiting_ms += usable * slot_ms;  // could run, but no core or I/O slot was free
    } else {
      s.times.backpressured_ms += usable * slot_ms;
    }
  }
}

void Scheduler::SampleRssLocked() {
  // One small /proc read (a few microseconds) every 10 ms.
  const int64_t rss = ProcessRssBytes();
  peak_rss_ = std::max(peak_rss_, rss);
  second_rss_ = std::max(second_rss_, rss);
}

void Scheduler::CloseSecondLocked(double end_seconds) {
  memory_seconds_.push_back(MemorySecond{end_seconds, budget_.used(), second_rss_});
  second_rss_ = 0;
  for (auto& sp : stages_) {
    StageState& s = *sp;
    if (!s.seconds.empty() && s.finished && s.seconds.back().end_seconds >= end_seconds) continue;
    if (s.finished && s.counters.items_in == s.second_start_counters.items_in &&
        s.counters.items_out == s.second_start_counters.items_out && !s.seconds.empty()) {
      continue;  // finished earlier: nothing more to record
    }
    StageSecond second;
    second.end_seconds = end_seconds;
    second.times = s.times - s.second_start_times;
    second.counters = s.counters - s.second_start_counters;
    second.queue_items = static_cast<int64_t>(s.queue_items);
    second.queue_bytes = s.queue_bytes;
    second.concurrency = s.limit;
    s.seconds.push_back(second);
    s.second_start_times = s.times;
    s.second_start_counters = s.counters;
  }
}

void Scheduler::AutoscaleLocked(Clock::time_point now) {
  bool grew = false;
  // Judged on every stage's window before any limit changes; scanning from the sink up tells
  // each stage whether one below it is saturated.
  std::vector<bool> saturated_below(stages_.size(), false);
  for (int j = static_cast<int>(stages_.size()) - 2; j >= 0; --j) {
    const StageState& d = *stages_[j + 1];
    saturated_below[j] = saturated_below[j + 1] ||
                         (!d.finished && Saturated(d.times - d.scale_times,
                                                   static_cast<int64_t>(d.queue_items), d.limit));
  }
  for (auto& sp : stages_) {
    StageState& s = *sp;
    // Quick warm-up decisions serve a stage still searching for its range; once its output has
    // backed up it has found it, and deciding every few tasks only chases the noise of the
    // last ones (a stage swung between half and one and a half times its need).
    if (s.backed_up_at > 0 && now - s.last_scaled < kScaleEvery) continue;
    const double window_seconds = std::chrono::duration<double>(now - s.last_scaled).count();
    s.last_scaled = now;
    if (s.finished || s.min_concurrency == s.max_concurrency || window_seconds <= 0) {
      s.scale_times = s.times;
      s.scale_arrivals = s.arrivals;
      s.scale_backlog = static_cast<int64_t>(s.queue_items);
      continue;
    }
    ScaleSignals in;
    in.current = s.limit;
    in.min = s.min_concurrency;
    in.max = s.max_concurrency;
    const double input_bytes =
        s.counters.items_in > 0
            ? static_cast<double>(s.counters.bytes_in) / static_cast<double>(s.counters.items_in)
            : 0;
    const double task_bytes =
        std::max(1.0, input_bytes + static_cast<double>(EstimateLocked(s, 1)));
    in.budget_cap =
        static_cast<int>(std::min(1e6, static_cast<double>(budget_.limit()) / task_bytes));
    in.ns_per_input = s.has_estimates ? s.ns_per_input : 0;
    // Items that only piled up in the queue are counted by the backlog term, not as a rate: a
    // fast producer filling the queue at the start is a burst, not a sustained arrival rate.
    const int64_t piled_up =
        std::max<int64_t>(0, static_cast<int64_t>(s.queue_items) - s.scale_backlog);
    in.arrival_rate =
        static_cast<double>(std::max<int64_t>(0, s.arrivals - s.scale_arrivals - piled_up)) /
        window_seconds;
    in.backlog = static_cast<int64_t>(s.queue_items);
    in.window = s.times - s.scale_times;
    in.io = s.io;
    in.backed_up_at = s.backed_up_at;
    in.filling = now - start_ < kWarmup;
    in.downstream_saturated = saturated_below[s.index];
    in.settling = s.running > s.limit;
    const int next = NextConcurrency(in);
    // Tasks above a lowered limit were running too: the concurrency that backed up is theirs.
    if (BackedUp(in.window)) s.backed_up_at = std::max(s.limit, s.running);
    if (next > s.limit) grew = true;
    s.limit = next;
    s.peak_limit = std::max(s.peak_limit, next);
    s.scale_times = s.times;
    s.scale_arrivals = s.arrivals;
    s.scale_backlog = static_cast<int64_t>(s.queue_items);
  }
  if (grew) NotifyWorkLocked();
}

void Scheduler::ResizeSharesLocked() {
  // A stage needs room for the outputs of its running tasks and about as many queued behind
  // them; a stage of tiny items would otherwise sit on a share nobody else may use.
  for (auto& sp : stages_) {
    StageState& s = *sp;
    if (s.initial_share == 0) continue;
    if (s.finished) {
      budget_.TrySetReserved(s.account, 0);  // a finished stage's share goes back to the pool
      continue;
    }
    if (s.out_bytes_per_output <= 0) continue;
    const double need = 2.0 * (s.limit + 1) * s.out_bytes_per_output;
    const int64_t share =
        std::min(s.initial_share, std::max<int64_t>(64_KiB, static_cast<int64_t>(need)));
    budget_.TrySetReserved(s.account, share);
  }
  // Smaller shares can let waiting tasks and admissions go ahead.
  budget_cv_.notify_all();
  NotifyWorkLocked();
}

void Scheduler::DetectHungLocked(Clock::time_point now) {
  for (Task* t : running_tasks_) {
    if (t->hung_reported || t->waiting || t->awaiting_input) continue;
    const StageState& s = *stages_[t->stage];
    const double typical_ms =
        s.has_estimates
            ? s.ns_per_input * static_cast<double>(std::max<int64_t>(1, t->input_count)) / 1e6
            : 0;
    const double stuck_ms = Ms(now - t->last_progress);
    const double threshold_ms =
        std::max(static_cast<double>(options_.hung_task_after.count()), kHungFactor * typical_ms);
    if (stuck_ms < threshold_ms) continue;
    t->hung_reported = true;
    HungTask hung{s.spec->name, t->item, stuck_ms / 1000, typical_ms};
    std::string what = t->item.empty() ? "a task" : "the task on " + t->item;
    std::string warning = fmt::format(
        "stage '{}' looks hung: {} made no progress for {:.1f} s (typical task {:.1f} ms)",
        hung.stage, what, hung.running_seconds, typical_ms);
    SLUICE_LOG_WARN("{}", warning);
    warnings_.push_back(std::move(warning));
    hung_tasks_.push_back(std::move(hung));
  }
}

void Scheduler::UpdateEstimatesLocked(StageState& s, const Task& task, Clock::duration busy) {
  if (task.kind != Task::Kind::kRun) return;
  if (task.input_count > 0) {
    const double n = static_cast<double>(task.input_count);
    const double ns = static_cast<double>(std::chrono::nanoseconds(busy).count()) / n;
    s.ns_per_input = Ewma(s.ns_per_input, ns, s.has_estimates);
    s.out_bytes_per_input =
        Ewma(s.out_bytes_per_input, static_cast<double>(task.emitted_bytes) / n, s.has_estimates);
    s.has_estimates = true;
  }
  if (task.emitted > 0) {
    const double per_output =
        static_cast<double>(task.emitted_bytes) / static_cast<double>(task.emitted);
    s.out_bytes_per_output = Ewma(s.out_bytes_per_output, per_output, s.out_bytes_per_output > 0);
  }
}

void Scheduler::CheckRssLocked() {
  const int64_t budget = options_.process_budget;
  if (budget <= 0 || peak_rss_ <= RssAllowance(budget)) return;
  std::string warning = fmt::format(
      "memory: the process's RSS reached {} during '{}', more than the {} that a budget of {} "
      "allows (1.25 x budget + 64 MiB); the budget's accounting peaked at {}",
      FormatBytes(peak_rss_), name_, FormatBytes(RssAllowance(budget)), FormatBytes(budget),
      FormatBytes(budget_.peak()));
  SLUICE_LOG_WARN("{}", warning);
  warnings_.push_back(std::move(warning));
}

RunReport Scheduler::BuildReportLocked(bool with_history) {
  RunReport report;
  report.pipeline = name_;
  report.wall_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  report.cpu_threads = cpu_threads_;
  report.memory_budget = budget_.limit();
  report.peak_memory = budget_.peak();
  report.memory_in_use = budget_.used();
  report.overdrafts = budget_.overdrafts();
  report.process_budget = options_.process_budget;
  report.peak_rss = peak_rss_;
  if (with_history) report.memory = memory_seconds_;
  double cpu_busy_seconds = 0;
  for (auto& sp : stages_) {
    const StageState& s = *sp;
    StageReport r;
    r.name = s.spec->name;
    r.type = StageTypeName(s.spec->type);
    r.io = s.io;
    r.resource = s.resource;
    r.times = s.times;
    r.counters = s.counters;
    r.min_concurrency = s.min_concurrency;
    r.max_concurrency = s.max_concurrency;
    r.final_concurrency = s.limit;
    r.peak_concurrency = s.peak_limit;
    r.busy_seconds = std::chrono::duration<double>(s.busy).count();
    r.cpu_seconds = static_cast<double>(s.cpu_ns) / 1e9;
    r.overdrafts = s.overdrafts;
    r.borrows = s.borrows;
    r.early_flushes = s.early_flushes;
    if (with_history) {
      r.seconds = s.seconds;
    } else if (!s.seconds.empty()) {
      r.seconds.assign(s.seconds.end() - std::min<size_t>(2, s.seconds.size()), s.seconds.end());
    }
    if (!s.io) cpu_busy_seconds += r.busy_seconds;
    report.stages.push_back(std::move(r));
  }
  if (report.wall_seconds > 0) {
    report.cpu_busy = cpu_busy_seconds / (report.wall_seconds * cpu_threads_);
  }
  report.hung_tasks = hung_tasks_;
  report.warnings = warnings_;
  if (with_history) {
    report.verdict = ComputeVerdict(report.stages);
  } else {
    // The live view judges the last second, not the whole run.
    std::vector<StageReport> last = report.stages;
    for (StageReport& r : last) r.times = r.seconds.empty() ? StageTimes{} : r.seconds.back().times;
    report.verdict = ComputeVerdict(last);
  }
  return report;
}

}  // namespace sluice::flow_internal
