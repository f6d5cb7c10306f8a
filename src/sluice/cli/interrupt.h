// Ctrl-C handling for the CLI. InstallInterruptHandler blocks SIGINT and SIGTERM in every thread
// and starts one thread that waits for them: the first cancels the returned token (the job stops
// gracefully, joins its threads and cleans up); a second one exits at once with status 130.
//
// Thread safety: call once, from main, before any other thread starts.
#pragma once

#include "sluice/base/cancellation.h"

namespace sluice::cli {

CancellationToken InstallInterruptHandler();

}  // namespace sluice::cli
