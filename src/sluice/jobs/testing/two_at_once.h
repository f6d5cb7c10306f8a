// TwoAtOnce: runs the same call on this thread and on a second one at the same time, as two hosts'
// workers join one job, and returns both results (this thread's first). An exception of either is
// rethrown once both have ended.
//
// Thread safety: `call` must be safe to run on two threads at once.
#pragma once

#include <exception>
#include <thread>
#include <vector>

namespace sluice::jobs {

template <typename Call>
auto TwoAtOnce(const Call& call) -> std::vector<decltype(call())> {
  std::vector<decltype(call())> results(2);
  std::exception_ptr error;
  std::thread other([&] {
    try {
      results[1] = call();
    } catch (...) {
      error = std::current_exception();
    }
  });
  try {
    results[0] = call();
  } catch (...) {
    other.join();
    throw;
  }
  other.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace sluice::jobs
