// CommandOutput: runs a shell command line for the CLI tests and returns what it wrote to
// standard output, with the raw wait status (as pclose gives it) in *status.
//
// Thread safety: any thread; each call runs its own process.
#pragma once

#include <string>

namespace sluice::testing {

std::string CommandOutput(const std::string& command, int* status);

}  // namespace sluice::testing
