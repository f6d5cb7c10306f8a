// GroupByMergeMemory: the memory budget that a group-by's merge tasks share for their states,
// where a task denied memory waits for the others instead of overdrawing. Each running task holds
// a Share; before its state grows it grows the share to cover the growth (Grow). When the budget
// has no room, the task waits while some other task that is not itself waiting holds a share,
// since that one will shrink or finish; when every other task waits too (or there is none),
// waiting cannot help and Grow returns false: the caller must make its work smaller (a merge
// splits its hash range) and try again. The last word on a state that cannot be split (one huge
// group) is GrowOverLimit, counted as an overdraft.
//
// Thread safety: all methods may be called from any thread; a Share is used by one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_budget.h"

namespace sluice {

class GroupByMergeMemory {
 public:
  // Runs a blocking wait and returns its result; the merge pipeline passes Emitter::AwaitInput,
  // so the scheduler knows the task waits outside the pipeline.
  using Await = std::function<bool(const std::function<bool()>& wait)>;

  class Share {
   public:
    explicit Share(GroupByMergeMemory& memory);
    ~Share();
    Share(const Share&) = delete;
    Share& operator=(const Share&) = delete;

    int64_t bytes() const { return held_.bytes(); }
    int64_t limit() const { return memory_.limit(); }
    // Grows the share to `bytes` (nothing to do when it holds that much): at once when the budget
    // has room, else after waiting through `await`; false when waiting cannot help.
    bool Grow(int64_t bytes, const Await& await);
    // Grows past the limit (counted as an overdraft): for growth no split can avoid.
    void GrowOverLimit(int64_t bytes);
    // Shrinks the share to `bytes` (a state's measured size, or 0) and wakes waiting tasks.
    void Shrink(int64_t bytes);

   private:
    GroupByMergeMemory& memory_;
    Reservation held_;
  };

  GroupByMergeMemory(int64_t limit, CancellationToken cancel);

  int64_t limit() const { return budget_.limit(); }
  int64_t peak() const { return budget_.peak(); }
  // Times a task waited for another's memory, and times waiting could not help.
  int64_t waits() const;
  int64_t refusals() const;

 private:
  // Waits until `held` can grow to `bytes` (true) or no other member can release memory (false).
  bool WaitToGrow(Reservation& held, int64_t bytes);
  void Wake();

  MemoryBudget budget_;
  CancellationToken cancel_;
  mutable std::mutex mu_;
  std::condition_variable released_;
  int members_ = 0;       // guarded by mu_
  int waiting_ = 0;       // guarded by mu_
  int64_t waits_ = 0;     // guarded by mu_
  int64_t refusals_ = 0;  // guarded by mu_
};

}  // namespace sluice
