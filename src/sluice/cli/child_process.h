// RunChild: runs a program to completion, capturing its standard output (standard error goes
// where this process's goes), for commands that drive other tools (`sluice slurm` runs sbatch,
// squeue and itself). The child starts with no signal blocked, whatever InstallInterruptHandler
// blocked here, and with this process's environment plus `env`.
//
// Thread safety: may be called from any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sluice::cli {

struct ChildResult {
  int exit_code = 0;  // 128 + the signal when a signal ended it
  std::string out;    // everything it wrote to standard output
};

// NotFound when argv[0] cannot be run (named in the error), IoError when the system refuses.
ChildResult RunChild(const std::vector<std::string>& argv,
                     const std::vector<std::pair<std::string, std::string>>& env = {});

}  // namespace sluice::cli
