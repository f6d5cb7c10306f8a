// Ctrl-C handling for the CLI. InstallInterruptHandler blocks SIGINT and SIGTERM in every thread
// and starts one thread that waits for them: the first cancels the returned token (the job stops
// gracefully, joins its threads and cleans up); a second one exits at once with status 130.
//
// SleepUnlessCancelled is the pause between looks of the commands that poll (status, wait,
// slurm): it ends early when the token fires.
//
// Thread safety: InstallInterruptHandler: call once, from main, before any other thread starts.
// SleepUnlessCancelled: any thread.
#pragma once

#include <chrono>

#include "sluice/base/cancellation.h"

namespace sluice::cli {

CancellationToken InstallInterruptHandler();

// Waits `period`, or less when `cancel` fires; returns false once it has.
bool SleepUnlessCancelled(const CancellationToken& cancel, std::chrono::milliseconds period);

}  // namespace sluice::cli
