// Per-thread clocks: how long the calling thread ran on a CPU, and how long it was runnable but
// waited for one. Wall time minus the wait is what a task would take with a core free whenever
// it wanted one, which is the cost a scheduler should size concurrency by: counting the wait in
// would make more tasks look needed exactly when more tasks only lengthen the wait.
//
// Thread safety: each function reads the calling thread's own counters; call from any thread.
#pragma once

#include <cstdint>

namespace sluice {

// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), user and system, in nanoseconds.
int64_t ThreadCpuNs();
// Time the calling thread has spent runnable on a run queue waiting for a CPU, in nanoseconds
// (Linux /proc/thread-self/schedstat); 0 where the kernel does not report it.
int64_t ThreadRunqueueWaitNs();

}  // namespace sluice
