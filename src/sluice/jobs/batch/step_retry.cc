#include "sluice/jobs/batch/step_retry.h"

#include <algorithm>
#include <exception>
#include <thread>

namespace sluice::batch {

void WaitBackoff(std::chrono::milliseconds delay, const CancellationToken& cancel) {
  // Short sleeps: a cancelled run (Ctrl-C, a lost lease) should not wait out a long backoff.
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!cancel.cancelled() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::chrono::milliseconds NextBackoff(std::chrono::milliseconds delay,
                                      std::chrono::milliseconds base) {
  return std::min(delay * 2, base * 8);
}

std::string CurrentErrorText() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace sluice::batch
