// `sluice wait JOB`: follows a ledger job from anywhere until it finishes, printing its progress
// as it changes; the exit status is the job's (0 done, 1 failed or cancelled, 2 on --timeout).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

std::function<int()> AddWaitCommand(CLI::App& app);

}  // namespace sluice::cli
