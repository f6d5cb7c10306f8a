// The autoscaling policy: how many tasks of a stage may run at once, decided from what the stage
// measured over the last window. Pure function, so it can be tested on its own.
//
// A stage needs enough concurrent tasks to keep up with what arrives plus to drain its backlog
// within a second: needed = (arrival rate + backlog / 1 s) / (rate of one busy task), where the
// rate of one task is measured on busy time only (Flink's "true processing rate"), so a stage
// that waits a lot is not mistaken for a slow one. A stage busy nearly all the time with work
// queued needs at least one more task whatever the estimate says (it lags when items get
// heavier). It grows toward the need in steps of up to doubling when the backlog is large
// (Ray-style), by one otherwise, and only while its output almost never waits for room and no
// stage downstream is saturated (busy nearly all the time with more queued than it runs): that
// stage sets the rate (DS2), and more tasks upstream would only fill the budget in
// front of it and starve it of room for its own outputs. Like TCP after a loss, past the
// concurrency at which its output last backed up a stage grows by one, not by doubling: a cheap
// upstream stage keeps the backlog large whatever downstream absorbs, and doubling on it made
// stages swing between filling the budget and too few tasks. An I/O stage shrinks by one when
// backpressured 30% of the time and by a quarter past 50% (more tasks would only hold more
// output nobody can take, and each may be computing too); a CPU stage holds instead, since its
// blocked tasks give their cores up. Nor does a stage shrink again while the tasks of its last
// shrink are still running: blocked on their outputs, they keep the window backpressured for a
// while, and shrinking on that echo took I/O stages far below their need. Any stage shrinks when
// mostly starved, except while the pipeline is still filling.
// Never beyond [min, max] nor past what the budget can pay for. I/O stages get twice the need
// rather than 1.2x: an idle I/O slot costs only a sleeping thread, while an item queued in front
// of a busy one holds memory.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>

#include "sluice/flow/run_report.h"

namespace sluice {

struct ScaleSignals {
  int current = 1;
  int min = 1;
  int max = 1;
  int budget_cap = 1;  // tasks the stage's budget can pay for at once
  // Busy time per input item (EWMA), without time spent waiting for a core; 0 when unknown.
  double ns_per_input = 0;
  // Items per second into the stage's queue over the window, less what merely piled up in it
  // (the backlog counts those).
  double arrival_rate = 0;
  int64_t backlog = 0;  // items queued now
  StageTimes window;    // how the stage's slots spent the window
  bool io = false;      // an I/O stage: a spare slot costs a sleeping thread, not a core
  // The concurrency of the last window in which the stage's output backed up (backpressured
  // past 30%); 0 when it never did.
  int backed_up_at = 0;
  bool filling = false;  // the run's first second: starved stages are waiting for the pipeline
  // A stage downstream is saturated (Saturated): it sets the pipeline's rate now, and more tasks
  // here would only queue more bytes in front of it.
  bool downstream_saturated = false;
  // Tasks still running above `current`: the last shrink has not taken effect yet, and the
  // window's backpressure is theirs.
  bool settling = false;
};

int NextConcurrency(const ScaleSignals& signals);
// Whether a stage is short of tasks: busy nearly all the window with more queued than it runs.
bool Saturated(const StageTimes& window, int64_t backlog, int current);
// Whether the stage's output backed up in this window (what backed_up_at records).
bool BackedUp(const StageTimes& window);

}  // namespace sluice
