#include "sluice/cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
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

bool SleepUnlessCancelled(const CancellationToken& cancel, std::chrono::milliseconds period) {
  std::mutex mu;
  std::condition_variable cv;
  bool cancelled = false;
  Subscription subscription = cancel.Subscribe([&] {
    std::lock_guard lock(mu);
    cancelled = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, period, [&] { return cancelled; });
}

}  // namespace sluice::cli
