#include "sluice/jobs/batch/chunk_run.h"

#include "sluice/base/error.h"

namespace sluice::batch {

void ChunkRun::Finish(ChunkResult result) {
  std::lock_guard lock(mu_);
  if (done_ || error_) return;
  result_ = std::move(result);
  done_ = true;
  cv_.notify_all();
}

void ChunkRun::Fail(std::exception_ptr error) {
  std::lock_guard lock(mu_);
  if (done_ || error_) return;
  error_ = std::move(error);
  failed_.store(true, std::memory_order_release);
  cv_.notify_all();
}

ChunkResult ChunkRun::Wait(const CancellationToken& cancel) {
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
  return result_;
}

void ChunkQueue::Push(ChunkRunPtr run) {
  {
    std::lock_guard lock(mu_);
    if (!closed_) {
      runs_.push_back(std::move(run));
      cv_.notify_one();
      return;
    }
  }
  run->Fail(std::make_exception_ptr(Cancelled("the compute pipeline has stopped")));
}

ChunkRunPtr ChunkQueue::Pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !runs_.empty(); });
  if (runs_.empty()) return nullptr;
  ChunkRunPtr run = std::move(runs_.front());
  runs_.pop_front();
  return run;
}

void ChunkQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void FailRun(const ChunkRunPtr& run, const char* stage) {
  try {
    throw;
  } catch (Error& error) {
    error.With("chunk", std::to_string(run->chunk())).With("stage", stage);
    run->Fail(std::make_exception_ptr(error));
  } catch (const std::exception& e) {
    run->Fail(std::make_exception_ptr(InternalError("{}", e.what())
                                          .With("chunk", std::to_string(run->chunk()))
                                          .With("stage", stage)));
  } catch (...) {
    run->Fail(std::current_exception());
  }
}

}  // namespace sluice::batch
