// UsableCores: how many cores this process may run on (its CPU affinity, as taskset, cgroups
// cpusets and `nproc` see it), which is what a CPU pool should be sized by; the machine's total
// (std::thread::hardware_concurrency) overcommits a process confined to fewer.
//
// Thread safety: may be called from any thread.
#pragma once

namespace sluice {

int UsableCores();

}  // namespace sluice
