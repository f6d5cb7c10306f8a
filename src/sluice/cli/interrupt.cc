#include "sluice/cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "sluice/base/log.h"

namespace sluice::cli {

CancellationToken InstallInterruptHandler() {
  static CancellationSource* source = new CancellationSource;  // lives until exit
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int count = 0;
    for (;;) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      if (++count == 1) {
        SLUICE_LOG_WARN("interrupted: stopping (press Ctrl-C again to quit at once)");
        source->Cancel(signal == SIGINT ? "interrupted (Ctrl-C)" : "terminated (SIGTERM)");
      } else {
        std::_Exit(130);
      }
    }
  }).detach();
  return source->token();
}

}  // namespace sluice::cli
