// CommandOutput: runs a shell command line for the CLI tests and returns what it wrote to
// standard output, with the raw wait status (as pclose gives it) in *status. RunSluice runs the
// sluice binary with arguments, progress off and standard error folded into the output.
//
// Thread safety: any thread; each call runs its own process.
#pragma once

#include <string>

namespace sluice::testing {

std::string CommandOutput(const std::string& command, int* status);

struct CommandRun {
  int status = 0;   // the exit status, or -1 when the process did not exit normally
  std::string out;  // standard output and standard error
};

// `binary args --progress off 2>&1`; binary is the test's SLUICE_BINARY.
CommandRun RunSluice(const std::string& binary, const std::string& args);

}  // namespace sluice::testing
