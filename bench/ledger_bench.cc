// Ledger throughput and latency with real worker processes running the real worker loop.
//
// throughput: N no-op partitions are added up front and the job is sealed; W forked processes
//   each run jobs::RunWorker (batched claims sized by the loop's prefetch, batched completions,
//   heartbeats) with a task that does nothing, until the job is complete. Reported: partitions per
//   second from the first claim to the last completion on the database clock, and the wall time
//   of the processes (start-up and the final job summary included). --raw also measures bare
//   Claim(batch) + CompleteMany loops without the worker, for comparison.
// latency: a producer adds partitions in small batches at a steady rate while the worker processes
//   run; reported: creation-to-claim latency percentiles on the database clock.
//
// Backends: SQLite (a file in a temporary directory) and PostgreSQL (a throwaway server from
// Debian's packages, fsync on unless --no-fsync, or --ledger URL for an existing one).
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/jobs/worker.h"
#include "sluice/ledger/ledger.h"
#include "sluice/ledger/testing/postgres_server.h"

namespace sluice::ledger {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Config {
  int partitions = 20000;
  int workers = 2;
  int slots = 2;  // task threads per worker process
  std::vector<int> batches = {64};
  bool raw = false;
  double latency_seconds = 3;
  int latency_rate = 2000;  // partitions per second added during the latency run
};

jobs::WorkerOptions NoopWorker(const Config& config, int batch, int worker) {
  jobs::WorkerOptions options;
  options.owner = "bench-" + std::to_string(worker);
  options.slots = config.slots;
  options.claim_batch = batch;
  options.lease = 60s;
  options.max_idle_poll = std::chrono::milliseconds(20);
  return options;
}

void RunNoopWorker(const std::string& url, JobId job, const Config& config, int batch, int worker) {
  jobs::RunWorker(
      url, job, [](const jobs::TaskContext&) {}, NoopWorker(config, batch, worker));
}

// (first claim, last completion) over the job's partitions, on the database clock.
std::pair<Timestamp, Timestamp> Span(Ledger& ledger, JobId job) {
  Timestamp first = Timestamp::max(), last = Timestamp::min();
  for (PartitionId after = 0;;) {
    auto page = ledger.ListPartitions(job, {std::nullopt, after, 5000});
    if (page.empty()) break;
    for (const PartitionRecord& p : page) {
      first = std::min(first, *p.started_at);
      last = std::max(last, *p.finished_at);
    }
    after = page.back().id;
  }
  return {first, last};
}

// Job names unique across runs, so --ledger may point at a database used before.
int64_t Unique() { return std::chrono::system_clock::now().time_since_epoch().count(); }

// Forks `workers` processes running Work(worker index); waits for all of them.
template <typename Work>
void RunWorkers(int workers, Work work) {
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid < 0) throw IoErrorFromErrno(errno, "fork", "worker");
    if (pid == 0) {
      int code = 0;
      try {
        work(w);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "worker %d: %s\n", w, error.what());
        code = 1;
      }
      std::fflush(stdout);
      _exit(code);
    }
    children.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  if (!ok) throw InternalError("a worker process failed");
}

void ClaimUntilEmpty(Ledger& ledger, JobId job, int worker, int batch) {
  ClaimRequest request{"bench-" + std::to_string(worker), 60s, batch};
  std::vector<Completion> done;
  while (true) {
    std::vector<Lease> leases = ledger.Claim(job, request);
    if (leases.empty()) return;
    done.clear();
    for (const Lease& lease : leases) done.push_back({lease.ref(), "{}"});
    ledger.CompleteMany(done);
  }
}

void Throughput(const std::string& name, const std::string& url, const Config& config, int batch,
                bool raw) {
  auto ledger = OpenLedger(url);
  JobId job = ledger
                  ->CreateJob(fmt::format("throughput-{}-{}-{}-{}", raw ? "raw" : "worker", batch,
                                          getpid(), Unique()))
                  .id;
  std::vector<PartitionSpec> specs;
  for (int i = 0; i < config.partitions; ++i) {
    specs.push_back({fmt::format("p{:07}", i), R"({"noop":true})", 3});
  }
  auto add_start = Clock::now();
  ledger->AddPartitions(job, specs);
  ledger->SealJob(job);
  double add_seconds = std::chrono::duration<double>(Clock::now() - add_start).count();
  auto start = Clock::now();
  RunWorkers(config.workers, [&](int worker) {
    if (raw) {
      auto own = OpenLedger(url);
      ClaimUntilEmpty(*own, job, worker, batch);
    } else {
      RunNoopWorker(url, job, config, batch, worker);
    }
  });
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  JobProgress progress = ledger->Progress(job);
  if (progress.done != config.partitions || progress.claims != config.partitions) {
    throw InternalError("lost or repeated work: {} done, {} claims of {}", progress.done,
                        progress.claims, config.partitions);
  }
  auto [first, last] = Span(*ledger, job);
  double seconds = std::max(0.001, std::chrono::duration<double>(last - first).count());
  std::printf(
      "ledger %-8s throughput: %d %s processes, claim batch %2d: %8.0f claim+complete/s "
      "(%d partitions, %.2f s first claim to last completion; %.2f s wall with start-up and "
      "summary; adding them: %.0f/s)\n",
      name.c_str(), config.workers, raw ? "raw-loop" : "worker", batch, config.partitions / seconds,
      config.partitions, seconds, wall, config.partitions / add_seconds);
  std::fflush(stdout);
}

void Latency(const std::string& name, const std::string& url, const Config& config) {
  auto ledger = OpenLedger(url);
  JobId job = ledger->CreateJob(fmt::format("latency-{}-{}", getpid(), Unique())).id;
  pid_t producer = fork();
  if (producer == 0) {
    int code = 0;
    try {
      auto own = OpenLedger(url);
      const int per_tick = 10;
      auto tick = std::chrono::duration<double>(double(per_tick) / config.latency_rate);
      int total = static_cast<int>(config.latency_seconds * config.latency_rate);
      auto next = Clock::now();
      for (int i = 0; i < total; i += per_tick) {
        std::vector<PartitionSpec> specs;
        for (int k = i; k < std::min(total, i + per_tick); ++k) {
          specs.push_back({fmt::format("l{:07}", k), "{}", 3});
        }
        own->AddPartitions(job, specs);
        next += std::chrono::duration_cast<Clock::duration>(tick);
        std::this_thread::sleep_until(next);
      }
      own->SealJob(job);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "producer: %s\n", error.what());
      code = 1;
    }
    _exit(code);
  }
  RunWorkers(config.workers,
             [&](int worker) { RunNoopWorker(url, job, config, config.batches.at(0), worker); });
  int status = 0;
  waitpid(producer, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw InternalError("producer failed");
  std::vector<int64_t> latencies;
  for (PartitionId after = 0;;) {
    auto page = ledger->ListPartitions(job, {std::nullopt, after, 5000});
    if (page.empty()) break;
    for (const PartitionRecord& p : page) {
      latencies.push_back((*p.started_at - p.created_at).count());
    }
    after = page.back().id;
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) { return latencies[static_cast<size_t>(q * (latencies.size() - 1))]; };
  std::printf(
      "ledger %-8s creation-to-claim latency at %d partitions/s, %d worker processes: "
      "p50 %lld ms, p90 %lld ms, p99 %lld ms, max %lld ms (%zu partitions)\n",
      name.c_str(), config.latency_rate, config.workers, static_cast<long long>(at(0.5)),
      static_cast<long long>(at(0.9)), static_cast<long long>(at(0.99)),
      static_cast<long long>(latencies.back()), latencies.size());
  std::fflush(stdout);
}

void RunBackend(const std::string& name, const std::function<std::string(int)>& fresh_url,
                const Config& config) {
  int run = 0;
  for (int batch : config.batches) Throughput(name, fresh_url(run++), config, batch, false);
  if (config.raw) {
    for (int batch : config.batches) Throughput(name, fresh_url(run++), config, batch, true);
  }
  if (config.latency_seconds > 0) Latency(name, fresh_url(run++), config);
}

int Main(int argc, char** argv) {
  CLI::App app{"Ledger claim+complete throughput and creation-to-claim latency"};
  Config config;
  std::string backend = "all";
  std::string postgres_url;
  bool no_fsync = false;
  app.add_option("--backend", backend, "sqlite, postgres or all")
      ->check(CLI::IsMember({"sqlite", "postgres", "all"}));
  app.add_option("--partitions", config.partitions, "partitions per throughput run");
  app.add_option("--workers", config.workers, "worker processes");
  app.add_option("--slots", config.slots, "task threads per worker process");
  app.add_option("--batch", config.batches, "claim batch sizes (WorkerOptions::claim_batch)");
  app.add_flag("--raw", config.raw, "also measure bare Claim + CompleteMany loops");
  app.add_option("--latency-seconds", config.latency_seconds, "latency run length (0: skip)");
  app.add_option("--latency-rate", config.latency_rate, "partitions/s added in the latency run");
  app.add_option("--ledger", postgres_url, "an existing PostgreSQL database to use");
  app.add_flag("--no-fsync", no_fsync, "run the throwaway PostgreSQL server with fsync=off");
  CLI11_PARSE(app, argc, argv);

  if (backend != "postgres") {
    std::string pattern = (std::filesystem::temp_directory_path() / "sluice-ledger-bench-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw IoErrorFromErrno(errno, "mkdtemp", pattern);
    std::filesystem::path dir = pattern;
    RunBackend(
        "sqlite", [&](int run) { return fmt::format("sqlite:{}/l{}.db", dir.string(), run); },
        config);
    std::filesystem::remove_all(dir);
  }
  if (backend != "sqlite") {
    std::unique_ptr<testing::PostgresServer> server;
    if (postgres_url.empty()) {
      server = std::make_unique<testing::PostgresServer>(
          testing::PostgresServerOptions{.fsync = !no_fsync});
      server->Start();
    }
    RunBackend(
        "postgres",
        [&](int run) {
          return server ? server->CreateDatabase(fmt::format("bench{}", run)) : postgres_url;
        },
        config);
  }
  return 0;
}

}  // namespace
}  // namespace sluice::ledger

int main(int argc, char** argv) {
  try {
    return sluice::ledger::Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sluice_ledger_bench: %s\n", error.what());
    return 1;
  }
}
