#include "sluice/jobs/worker.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/jobs/claim_policy.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/jobs/lease_heartbeat.h"
#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/lease_table.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/task_fault.h"

namespace sluice::jobs {
namespace {

using Clock = std::chrono::steady_clock;
using ledger::Lease;
using ledger::LeaseRef;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// An exponentially weighted moving average of durations in seconds.
class Average {
 public:
  void Add(double seconds) {
    value_ = known_ ? value_ + 0.2 * (seconds - value_) : seconds;
    known_ = true;
  }
  bool known() const { return known_; }
  double value() const { return value_; }

 private:
  double value_ = 0;
  bool known_ = false;
};

struct Result {
  // kInputLost: the task's input, other partitions' committed output, is gone (lost_output.h).
  enum class Kind { kDone, kFailed, kLost, kStopped, kInputLost };
  Kind kind;
  Lease lease;
  // The manifest (kDone, and kLost after done) or the error (kFailed, kInputLost).
  std::string text;
  bool permanent = false;               // kFailed: no retry can cure it (task_fault.h)
  std::vector<std::string> lost_input;  // kInputLost: the keys of the partitions to run again
};

class Worker {
 public:
  Worker(const std::string& url, ledger::JobId job, const PartitionTask& task,
         const WorkerOptions& options, const CancellationToken& cancel)
      : job_(job),
        task_(task),
        options_(options),
        cancel_(cancel),
        output_(options.output_root.empty() ? nullptr
                                            : MakeOutputCommitter(options.output_root.string())),
        rng_(std::random_device{}()) {
    if (options_.owner.empty()) options_.owner = LeaseOwner::ThisProcess().ToString();
    if (options_.heartbeat_interval.count() <= 0) options_.heartbeat_interval = options_.lease / 3;
    ledger_ = ledger::OpenLedger(url, options_.ledger_options);
    // Heartbeats give up quickly, so that leases are dropped before they can expire.
    ledger::LedgerOptions heartbeat_options = options_.ledger_options;
    heartbeat_options.reconnect_timeout = options_.heartbeat_interval;
    heartbeat_ =
        std::make_unique<LeaseHeartbeat>(mu_, leases_, ledger::OpenLedger(url, heartbeat_options),
                                         options_.lease, options_.heartbeat_interval);
  }

  WorkerStats Run() {
    ledger_->GetJob(job_);  // NotFound before any thread starts
    heartbeat_->Start();
    std::vector<std::thread> slots;
    for (int i = 0; i < options_.slots; ++i) slots.emplace_back([this] { SlotLoop(); });
    std::exception_ptr error;
    try {
      MainLoop();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      leases_.CancelRunning("worker stopping");
    }
    work_cv_.notify_all();
    for (auto& slot : slots) slot.join();
    // Any exception, not only Error: the heartbeat thread must still be stopped and joined.
    try {
      ProcessResults();
      ReleaseQueued();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
    heartbeat_->Stop();
    stats_.lost += leases_.lost_queued();
    if (error) std::rethrow_exception(error);
    cancel_.ThrowIfCancelled();
    return stats_;
  }

 private:
  void MainLoop() {
    auto idle_wait = std::chrono::milliseconds(5);
    auto last_job_check = Clock::now();
    while (true) {
      bool flush;
      int64_t claim_along = 0;
      {
        std::lock_guard lock(mu_);
        if (stop_error_) std::rethrow_exception(stop_error_);
        flush = FlushDueLocked(Clock::now());
        if (flush && !cancel_.cancelled() && !stop_) claim_along = ClaimWantedLocked();
      }
      if (flush && ProcessResults(claim_along)) {
        idle_wait = std::chrono::milliseconds(5);
        continue;
      }
      if (cancel_.cancelled() || stop_) return;
      if (Clock::now() - last_job_check > std::chrono::seconds(1)) {
        last_job_check = Clock::now();
        if (ledger_->GetJob(job_).status != ledger::JobStatus::kRunning) return;
      }
      int64_t want;
      bool busy;
      {
        std::lock_guard lock(mu_);
        want = ClaimWantedLocked();
        busy = !leases_.empty() || !results_.empty();
      }
      bool found_nothing = false;
      if (want > 0) {
        auto started = Clock::now();
        std::vector<Lease> leases = ledger_->Claim(job_, ClaimFor(want));
        {
          std::lock_guard lock(mu_);
          claim_seconds_.Add(Seconds(Clock::now() - started));
        }
        if (!leases.empty()) {
          Enqueue(std::move(leases), started);
          idle_wait = std::chrono::milliseconds(5);
          continue;
        }
        found_nothing = true;
        if (!busy) {
          ledger::JobRecord job = ledger_->GetJob(job_);
          if (job.status != ledger::JobStatus::kRunning) return;
          ledger::JobProgress progress = ledger_->Progress(job_);
          if (progress.complete()) {
            if (output_ && ReopenLostOutputs(*ledger_, job_) > 0) continue;
            FinishJobIfComplete(*ledger_, job_);
            if (output_) output_->Sweep(*ledger_, job_);
            stats_.finished_job = true;
            return;
          }
          if (options_.stop_on_failure && progress.failed > 0) return StopJobFailed();
          if (options_.on_idle && progress.pending == 0 && progress.running == 0) {
            options_.on_idle(*ledger_, job_);
            idle_wait = std::chrono::milliseconds(5);
          }
        }
      }
      // Wait for finished partitions to complete together, or for a slot to free up.
      std::unique_lock lock(mu_);
      auto until =
          Clock::now() + (found_nothing && !busy ? idle_wait : std::chrono::milliseconds(100));
      if (!results_.empty()) until = std::min(until, first_result_at_ + options_.completion_delay);
      results_cv_.wait_until(lock, until, [&] {
        return stop_error_ || FlushDueLocked(Clock::now()) ||
               (!found_nothing && ClaimWantedLocked() > 0);
      });
      if (found_nothing && !busy) {
        idle_wait = std::min<std::chrono::milliseconds>(idle_wait * 2, options_.max_idle_poll);
      }
    }
  }

  ledger::ClaimRequest ClaimFor(int64_t partitions) const {
    return {options_.owner, options_.lease, partitions, options_.resources};
  }

  // Hands claimed leases to the slots. `sent` is when the claim was sent: the ledger's lease
  // started no earlier, so the local deadline is never later than the ledger's.
  void Enqueue(std::vector<Lease> leases, Clock::time_point sent) {
    if (leases.empty()) return;
    std::lock_guard lock(mu_);
    leases_.Add(std::move(leases), sent + options_.lease);
    work_cv_.notify_all();
  }

  // The claim and completion policy over what this worker measured (claim_policy.h).
  ClaimPolicy PolicyLocked() const {
    ClaimPolicy policy{options_.slots, options_.claim_batch, !options_.resources.empty()};
    if (task_seconds_.known()) policy.task_seconds = task_seconds_.value();
    policy.claim_seconds = claim_seconds_.value();
    policy.complete_seconds = complete_seconds_.value();
    return policy;
  }

  int64_t ClaimWantedLocked() const { return PolicyLocked().ToClaim(running_, leases_.queued()); }

  bool FlushDueLocked(Clock::time_point now) const {
    if (results_.empty()) return false;
    return PolicyLocked().CompleteNow(static_cast<int64_t>(results_.size()), running_,
                                      leases_.queued(),
                                      now >= first_result_at_ + options_.completion_delay);
  }

  void SlotLoop() {
    while (true) {
      Lease lease;
      std::shared_ptr<CancellationSource> cancel;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [this] { return stopping_ || leases_.queued() > 0; });
        if (stopping_) return;
        auto next = leases_.StartNext(cancel_);
        if (!next) continue;  // the queued ones were lost
        std::tie(lease, cancel) = std::move(*next);
        ++running_;
      }
      auto started = Clock::now();
      Result result = RunTask(lease, cancel->token());
      auto finished = Clock::now();
      std::lock_guard lock(mu_);
      --running_;
      task_seconds_.Add(Seconds(finished - started));
      if (leases_.Lost(LeaseTable::KeyOf(lease.ref()))) {
        if (result.kind != Result::Kind::kDone) result.text.clear();  // the manifest, if any, stays
        result.kind = Result::Kind::kLost;
      }
      if (results_.empty()) first_result_at_ = finished;
      results_.push_back(std::move(result));
      results_cv_.notify_all();
    }
  }

  Result RunTask(const Lease& lease, const CancellationToken& cancel) {
    std::filesystem::path dir;
    try {
      if (output_) dir = output_->Prepare(lease.ref());
      task_(TaskContext{lease, dir, cancel});
      if (cancel.cancelled()) return {Result::Kind::kStopped, lease, {}};
      return {Result::Kind::kDone, lease, output_ ? output_->Manifest(lease) : std::string("{}")};
    } catch (const Error& e) {
      if (cancel.cancelled()) return {Result::Kind::kStopped, lease, {}};
      if (std::vector<std::string> keys = LostInputKeys(e); !keys.empty() && output_) {
        return {Result::Kind::kInputLost, lease, e.what(), false, std::move(keys)};
      }
      switch (TaskFaultActionFor(e, lease.attempt, dir)) {
        case TaskFaultAction::kRetry:
          return {Result::Kind::kFailed, lease, e.what()};
        case TaskFaultAction::kFailPermanently:
          return {Result::Kind::kFailed, lease, e.what(), /*permanent=*/true};
        case TaskFaultAction::kStopWorker:
          break;
      }
      // Every partition would meet it: the worker stops with this error (and its advice) and
      // gives the partition back uncharged, so that a run after the user fixed the cause
      // completes without a `sluice retry`.
      std::lock_guard lock(mu_);
      if (!stop_error_) {
        Error stop = e;  // a full disk of another origin gets the advice of ENOSPC
        if (IsDiskFull(e))
          stop.With("what to do", "free space on that file system and run the command again");
        stop_error_ = std::make_exception_ptr(std::move(stop));
      }
      return {Result::Kind::kStopped, lease, {}};
    } catch (const std::exception& e) {
      if (cancel.cancelled()) return {Result::Kind::kStopped, lease, {}};
      return {Result::Kind::kFailed, lease, e.what()};
    }
  }

  ledger::Duration Backoff(int64_t attempt) {
    double base = static_cast<double>(options_.backoff_base.count());
    double value = std::min(base * std::pow(2.0, static_cast<double>(std::max<int64_t>(
                                                     0, std::min<int64_t>(attempt - 1, 30)))),
                            static_cast<double>(options_.backoff_max.count()));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return ledger::Duration(static_cast<int64_t>(value * jitter(rng_)));
  }

  // Reports finished partitions to the ledger. With claim_want > 0 the completions and a claim of
  // that many share one ledger round trip; returns whether that claim found any.
  bool ProcessResults(int64_t claim_want = 0) {
    std::vector<Result> results;
    {
      std::lock_guard lock(mu_);
      results.swap(results_);
    }
    if (results.empty()) return false;
    try {
      return SettleResults(results, claim_want);
    } catch (...) {
      AbandonOutputs(results);
      throw;
    }
  }

  // The ledger refused a call (its disk is full, its server is gone) while `results` were being
  // settled, and the worker stops: no attempt's files may stay behind unless the ledger committed
  // the attempt. A read tells which did (a full disk still reads); those are published, the rest
  // discarded. An attempt whose fate cannot be read is left to the next run's sweep.
  void AbandonOutputs(const std::vector<Result>& results) noexcept {
    if (!output_) return;
    for (const Result& r : results) {
      try {
        if (r.kind == Result::Kind::kDone &&
            FateOf(*ledger_, job_, r.lease.ref()) == AttemptFate::kCommitted) {
          output_->Publish(r.lease.ref(), r.lease.key, r.text);
        } else {
          output_->Discard(r.lease.ref(), r.text);
        }
      } catch (const std::exception& e) {
        SLUICE_LOG_WARN("partition {} attempt {}: output left for the next run to sweep: {}",
                        r.lease.key, r.lease.attempt, e.what());
      }
    }
  }

  bool SettleResults(const std::vector<Result>& results, int64_t claim_want) {
    std::vector<ledger::Completion> completions;
    std::vector<const Result*> completed;
    for (const Result& r : results) {
      switch (r.kind) {
        case Result::Kind::kDone:
          completions.push_back({r.lease.ref(), r.text});
          completed.push_back(&r);
          break;
        case Result::Kind::kFailed:
          FailAttempt(r);
          break;
        case Result::Kind::kLost:
          ++stats_.lost;
          if (output_) output_->Discard(r.lease.ref(), r.text);
          SLUICE_LOG_WARN("partition {} attempt {}: lease lost, output discarded", r.lease.key,
                          r.lease.attempt);
          break;
        case Result::Kind::kInputLost:
          WaitForLostInput(r);
          break;
        case Result::Kind::kStopped:
          if (output_) output_->Discard(r.lease.ref(), {});
          try {
            ledger_->Release(r.lease.ref());
            ++stats_.released;
          } catch (const Error& e) {
            if (e.kind() != ErrorKind::kConflict) throw;
          }
          break;
      }
    }
    bool claimed = false;
    if (!completions.empty()) {
      auto started = Clock::now();
      std::vector<ledger::TransitionResult> outcomes;
      if (claim_want > 0) {
        ledger::CompleteAndClaimResult both =
            ledger_->CompleteAndClaim(completions, job_, ClaimFor(claim_want));
        outcomes = std::move(both.completed);
        claimed = !both.claimed.empty();
        Enqueue(std::move(both.claimed), started);
        std::lock_guard lock(mu_);
        claim_seconds_.Add(Seconds(Clock::now() - started));  // the whole round
        complete_seconds_.Add(0);
      } else {
        outcomes = ledger_->CompleteMany(completions);
        std::lock_guard lock(mu_);
        complete_seconds_.Add(Seconds(Clock::now() - started));
      }
      for (size_t i = 0; i < outcomes.size(); ++i) {
        const Lease& lease = completed[i]->lease;
        if (outcomes[i] == ledger::TransitionResult::kApplied) {
          ++stats_.completed;
          if (output_) output_->Publish(lease.ref(), lease.key, completed[i]->text);
        } else {
          ++stats_.lost;
          if (output_) output_->Discard(lease.ref(), completed[i]->text);
          SLUICE_LOG_WARN(
              "partition {} attempt {}: completion refused (lease taken over), "
              "output discarded",
              lease.key, lease.attempt);
        }
      }
    }
    std::lock_guard lock(mu_);
    for (const Result& r : results) leases_.Erase(LeaseTable::KeyOf(r.lease.ref()));
    if (stop_ && options_.stop_on_failure) leases_.CancelRunning("another partition failed");
    return claimed;
  }

  // Records a failed attempt in the ledger: retried after a backoff, or failed for good.
  void FailAttempt(const Result& r) {
    ++stats_.failed_attempts;
    if (output_) output_->Discard(r.lease.ref(), {});
    SLUICE_LOG_WARN("partition {} attempt {} failed{}: {}", r.lease.key, r.lease.attempt,
                    r.permanent ? " for good (a retry would meet it again)" : "", r.text);
    try {
      auto status = ledger::PartitionStatus::kFailed;
      if (r.permanent) {
        ledger_->FailPermanently(r.lease.ref(), r.text);
      } else {
        status = ledger_->Fail(r.lease.ref(), r.text, Backoff(r.lease.attempt));
      }
      if (status == ledger::PartitionStatus::kFailed) {
        ++stats_.failed_final;
        if (options_.stop_on_failure) stop_ = true;
      }
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kConflict) throw;
      ++stats_.lost;
    }
  }

  // The task's input is gone: its writers run again (reopened here unless another worker did), and
  // the lease goes back uncharged, claimable after a backoff's delay, so that the task waits for
  // the rerun instead of failing for good or spinning on the ledger. A writer that failed for good
  // will not bring the input back: then the attempt fails as any other, using its attempts.
  void WaitForLostInput(const Result& r) {
    const LostInputs lost = ReopenLostInputs(*ledger_, job_, *output_, r.lost_input, r.text);
    if (!lost.failed.empty()) {
      Result failed = r;
      failed.text += fmt::format("; partition {} that wrote it failed", lost.failed);
      return FailAttempt(failed);
    }
    output_->Discard(r.lease.ref(), {});
    const int64_t reopened = lost.reopened;
    const ledger::Duration delay = Backoff(1);
    SLUICE_LOG_WARN("partition {} attempt {}: {}; {} partition(s) reopened, retried in {} ms",
                    r.lease.key, r.lease.attempt, r.text, reopened, delay.count());
    try {
      ledger_->Release(r.lease.ref(), delay);
      ++stats_.waited_for_input;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kConflict) throw;
      ++stats_.lost;
    }
  }

  void StopJobFailed() {
    ledger::JobRecord job = ledger_->GetJob(job_);
    if (job.status == ledger::JobStatus::kRunning) {
      ledger_->FinishJob(job_, ledger::JobStatus::kFailed, BuildJobSummary(*ledger_, job_));
    }
  }

  void ReleaseQueued() {
    std::vector<LeaseRef> refs;
    {
      std::lock_guard lock(mu_);
      refs = leases_.TakeAll();
    }
    for (const LeaseRef& ref : refs) {
      try {
        ledger_->Release(ref);
        ++stats_.released;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kConflict) throw;
      }
    }
    if (stop_ && options_.stop_on_failure) StopJobFailed();
  }

  ledger::JobId job_;
  const PartitionTask& task_;
  WorkerOptions options_;
  CancellationToken cancel_;
  std::unique_ptr<OutputCommitter> output_;  // null without an output root
  std::unique_ptr<ledger::Ledger> ledger_;   // main thread only
  std::mt19937_64 rng_;                      // main thread only
  WorkerStats stats_;                        // main thread only
  bool stop_ = false;                        // main thread only

  std::mutex mu_;
  std::condition_variable work_cv_;     // slots: leases were queued or stopping_ changed
  std::condition_variable results_cv_;  // main: results_ grew
  // guarded by mu_
  LeaseTable leases_;  // every lease this worker holds
  std::vector<Result> results_;
  Clock::time_point first_result_at_;  // when the oldest of results_ finished
  int64_t running_ = 0;                // tasks being run by slots
  Average task_seconds_;               // how long a task takes
  Average claim_seconds_;              // how long a Claim call takes
  Average complete_seconds_;           // how long a CompleteMany call takes
  bool stopping_ = false;
  std::exception_ptr stop_error_;              // a task's error that stops the worker (StopsWorker)
  std::unique_ptr<LeaseHeartbeat> heartbeat_;  // renews leases_ under mu_
};

}  // namespace

WorkerStats RunWorker(const std::string& ledger_url, ledger::JobId job, const PartitionTask& task,
                      const WorkerOptions& options, const CancellationToken& cancel) {
  if (options.slots < 1) throw InvalidArgument("workers must be at least 1, not {}", options.slots);
  if (options.claim_batch < 1) {
    throw InvalidArgument("claim batch must be at least 1, not {}", options.claim_batch);
  }
  Worker worker(ledger_url, job, task, options, cancel);
  return worker.Run();
}

}  // namespace sluice::jobs
