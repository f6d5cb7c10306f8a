#include "sluice/flow/autoscaler.h"

#include <algorithm>
#include <cmath>

namespace sluice {
namespace {

constexpr double kDrainSeconds = 1.0;
constexpr double kCpuHeadroom = 1.2;
constexpr double kIoHeadroom = 2.0;
constexpr double kBackpressuredAbove = 0.3;
constexpr double kHeavilyBackpressuredAbove = 0.5;
// A backlog says nothing when the stage's output has no room: grow only when it almost never
// waits for room, whatever is queued in front of it (DS2: what downstream absorbs sets the rate).
constexpr double kGrowBelowBackpressure = 0.1;
constexpr double kStarvedAbove = 0.5;
// Busy this much of its slot time with items queued: the stage is short of tasks now.
constexpr double kSaturatedAbove = 0.9;

}  // namespace

bool Saturated(const StageTimes& window, int64_t backlog, int current) {
  return window.busy() >= kSaturatedAbove && backlog > current;
}

bool BackedUp(const StageTimes& window) { return window.backpressured() > kBackpressuredAbove; }

int NextConcurrency(const ScaleSignals& in) {
  const int hi = std::max(in.min, std::min(in.max, std::max(1, in.budget_cap)));
  int next = in.current;
  if (in.ns_per_input <= 0) {
    // No task has finished yet: probe upward only while work queues up.
    if (in.backlog > in.current) next = in.current + 1;
    return std::clamp(next, in.min, hi);
  }
  const double per_task_rate = 1e9 / in.ns_per_input;
  const double demand = in.arrival_rate + static_cast<double>(in.backlog) / kDrainSeconds;
  int desired =
      static_cast<int>(std::ceil((in.io ? kIoHeadroom : kCpuHeadroom) * demand / per_task_rate));
  if (Saturated(in.window, in.backlog, in.current)) {
    desired = std::max(desired, in.current + 1);
  }
  const double backpressured = in.window.backpressured();
  const bool starved = in.window.idle() > kStarvedAbove && !in.filling;
  if (backpressured > kBackpressuredAbove && (!in.io || in.settling)) {
    // Hold: a CPU task blocked on its output gives its core up anyway, and shrinking for one
    // phase of heavy items downstream leaves the stage short in the lighter phase after it. An
    // I/O stage still settling from its last shrink is judged once those tasks are gone.
  } else if (backpressured > kHeavilyBackpressuredAbove) {
    // Output is what limits this stage: more tasks would only hold more memory.
    next = in.current - std::max(1, in.current / 4);
  } else if (backpressured > kBackpressuredAbove) {
    next = in.current - 1;
  } else if (desired > in.current && backpressured <= kGrowBelowBackpressure &&
             !in.downstream_saturated) {
    // Grow straight toward the need, doubling at most per decision so a burst of arrivals
    // cannot overshoot for long; +1 when the backlog is small.
    // While the pipeline fills, the backlog is the job's input arriving at once, not a rate to
    // keep up with, and nothing downstream has pushed back yet: step by one.
    const bool large_backlog = in.backlog > 2 * static_cast<int64_t>(in.current) && !in.filling;
    next = large_backlog ? std::min(desired, 2 * in.current) : in.current + 1;
    // Past where its output backed up last time, one task at a time.
    if (in.backed_up_at > 0) next = std::min(next, std::max(in.current + 1, in.backed_up_at - 1));
  } else if (desired < in.current && starved) {
    next = std::max(desired, in.current - std::max(1, (in.current - desired) / 2));
  }
  return std::clamp(next, in.min, hi);
}

}  // namespace sluice
