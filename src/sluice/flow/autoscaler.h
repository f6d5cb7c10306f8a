// The autoscaling policy: how many tasks of a stage may run at once, decided from what the stage
// measured over the last window. Pure function, so it can be tested on its own.
//
// A stage needs enough concurrent tasks to keep up with what arrives plus to drain its backlog
// within a second: needed = (arrival rate + backlog / 1 s) / (rate of one busy task), where the
// rate of one task is measured on busy time only (Flink's "true processing rate"), so a stage
// that waits a lot is not mistaken for a slow one. It grows toward that need in steps of up to
// doubling when the backlog is large (Ray-style), by one otherwise; it grows only while its
// output almost never waits for room, shrinks by one when backpressured 30% of the time and by a
// quarter past 50% (more tasks would only hold more output nobody can take), and shrinks when
// mostly starved. Never beyond [min, max] nor
// past what the budget can pay for. I/O stages get twice the need rather than 1.2x: an idle I/O
// slot costs only a sleeping thread, while an item queued in front of a busy one holds memory.
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
  int budget_cap = 1;       // tasks the stage's budget can pay for at once
  double ns_per_input = 0;  // busy time per input item (EWMA); 0 when unknown
  double arrival_rate = 0;  // items per second into the stage's queue over the window
  int64_t backlog = 0;      // items queued now
  StageTimes window;        // how the stage's slots spent the window
  bool io = false;          // an I/O stage: a spare slot costs a sleeping thread, not a core
};

int NextConcurrency(const ScaleSignals& signals);

}  // namespace sluice
