// Child processes of the test servers (PostgreSQL, Ceph's gateway): waiting for one with a
// deadline, and forking from one long-lived thread. A daemon started with PR_SET_PDEATHSIG dies
// when the *thread* that forked it exits, not the process; forked from short-lived test threads
// it would die mid-test, so every fork runs on a SpawnThread that lives as long as its server.
//
// Thread safety: WaitForChild from any thread; SpawnThread::Run from any thread (runs one at a
// time, in order).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace sluice::testing {

// Waits for a child; SIGKILL after `timeout`. Returns its wait status.
int WaitForChild(pid_t pid, std::chrono::milliseconds timeout);

class SpawnThread {
 public:
  SpawnThread() : thread_([this] { Loop(); }) {}
  ~SpawnThread();
  SpawnThread(const SpawnThread&) = delete;
  SpawnThread& operator=(const SpawnThread&) = delete;

  // Runs f on the thread and returns its result (or rethrows its exception).
  template <typename F>
  auto Run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    {
      std::lock_guard lock(mu_);
      tasks_.emplace_back([&task] { task(); });
    }
    cv_.notify_all();
    return result.get();
  }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::thread thread_;
};

}  // namespace sluice::testing
