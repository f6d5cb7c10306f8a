// CommandTask: a partition task that runs an external command (a CommandTemplate expanded for the
// attempt) and waits for it. stdin is /dev/null, stdout is inherited, stderr is captured and its
// tail becomes the error text when the command fails (non-zero exit or a signal). The command runs
// in its own process group, which is killed with SIGKILL when the task is cancelled (the lease was
// lost or the worker is stopping) and, through PR_SET_PDEATHSIG, when the worker dies.
// The environment also carries SLUICE_JOB_KEY, SLUICE_PARTITION, SLUICE_ATTEMPT, SLUICE_OUTPUT.
//
// Thread safety: the returned task may run on many threads at once.
#pragma once

#include <cstddef>

#include "sluice/jobs/command_template.h"
#include "sluice/jobs/worker.h"

namespace sluice::jobs {

struct CommandTaskOptions {
  size_t stderr_tail_bytes = 2000;
};

PartitionTask MakeCommandTask(CommandTemplate command, CommandTaskOptions options = {});

}  // namespace sluice::jobs
