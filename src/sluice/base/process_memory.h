// The process's real memory as the kernel counts it, beside which the budget's accounting is
// reported: the resident set now and its high-water mark, and the allowance a run's RSS may
// reach over its budget (allocator slack, code, thread stacks) before sluice calls it broken.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>

namespace sluice {

// Resident set size now (/proc/self/statm), in bytes; 0 where it cannot be read.
int64_t ProcessRssBytes();

// The process's peak resident set size so far (VmHWM of /proc/self/status), in bytes; 0 where it
// cannot be read.
int64_t ProcessPeakRssBytes();

// The most RSS a run with this budget may reach: 1.25 x budget + 64 MiB. The memory tests run
// commands inside a cgroup of this size, and runs warn when their RSS passes it.
int64_t RssAllowance(int64_t memory_budget);

}  // namespace sluice
