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
// load: a staged job as a shuffle runs it (job_stages.h), `--load-map` partitions then
//   `--load-reduce` planned at the barrier by the idle hook, run by `--load-workers` forked
//   processes of the real worker loop (one slot, claims of one, the default idle poll and
//   heartbeat), each task sleeping `--task-ms`. Reported per stage: partitions per second and the
//   barrier's latency (last map completion to first reduce claim); with --task-ms 0 the rate is
//   what the ledger sustains for that many workers, from which the worker count that would
//   saturate it for tasks of a given length follows (rate x task seconds).
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
#include <functional>
#include <map>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/jobs/job_stages.h"
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
  int load_workers = 0;     // 0: no load run
  int load_map = 1000;
  int load_reduce = 1000;
  std::vector<int> task_ms = {0};
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

// Forks `workers` processes running Work(worker index); runs `meanwhile` here, then waits for
// all of them.
template <typename Work>
void RunWorkers(
    int workers, Work work, const std::function<void()>& meanwhile = [] {}) {
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
  meanwhile();
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

// First claim and last completion of one stage's partitions, on the database clock.
struct StageSpan {
  int partitions = 0;
  Timestamp first = Timestamp::max(), last = Timestamp::min();
  double Seconds() const {
    return std::max(0.001, std::chrono::duration<double>(last - first).count());
  }
};

std::vector<PartitionSpec> StagePartitions(std::string_view stage, int count) {
  std::vector<PartitionSpec> specs;
  for (int i = 0; i < count; ++i) specs.push_back({jobs::StageKey(stage, i), "{}", 3});
  return specs;
}

void Load(const std::string& name, const std::string& url, const Config& config, int task_ms) {
  auto ledger = OpenLedger(url);
  JobId job = ledger->CreateJob(fmt::format("load-{}-{}", getpid(), Unique())).id;
  const jobs::StagePlan plan{{"map", "reduce"},
                             [&config](size_t, const std::vector<PartitionRecord>&) {
                               return StagePartitions("reduce", config.load_reduce);
                             }};
  // Forking hundreds of processes on a few cores takes seconds: the map partitions are added once
  // every worker is connected and idle (it says so through the pipe), so that all of them take
  // part from the first claim.
  int ready[2];
  if (pipe(ready) != 0) throw IoErrorFromErrno(errno, "pipe", "load");
  const auto start = Clock::now();
  const auto started = std::chrono::system_clock::now();
  RunWorkers(
      config.load_workers,
      [&](int worker) {
        close(ready[0]);
        jobs::WorkerOptions options;
        options.owner = "load-" + std::to_string(worker);
        bool said = false;
        options.on_idle = [&](Ledger& own, JobId j) {
          if (!said && write(ready[1], "r", 1) == 1) said = true;
          if (own.Progress(j).total() >= config.load_map) jobs::AdvanceStages(own, j, plan);
        };
        const auto task = std::chrono::milliseconds(task_ms);
        jobs::RunWorker(
            url, job, [task](const jobs::TaskContext&) { std::this_thread::sleep_for(task); },
            options);
      },
      [&] {
        close(ready[1]);
        char byte;
        for (int w = 0; w < config.load_workers; ++w) {
          if (read(ready[0], &byte, 1) != 1) throw InternalError("a load worker died at start");
        }
        close(ready[0]);
        ledger->AddPartitions(job, StagePartitions("map", config.load_map));
      });
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const auto ended = std::chrono::system_clock::now();
  const JobProgress progress = ledger->Progress(job);
  const int total = config.load_map + config.load_reduce;
  if (progress.done != total || progress.claims != total) {
    throw InternalError("lost or repeated work: {} done, {} claims of {}", progress.done,
                        progress.claims, total);
  }
  std::map<std::string, StageSpan> stages;
  for (const PartitionRecord& p : jobs::AllPartitions(*ledger, job)) {
    StageSpan& s = stages[std::string(jobs::StageOfKey(p.key))];
    ++s.partitions;
    s.first = std::min(s.first, *p.started_at);
    s.last = std::max(s.last, *p.finished_at);
  }
  const StageSpan& map = stages["map"];
  const StageSpan& reduce = stages["reduce"];
  const double both =
      std::max(0.001, std::chrono::duration<double>(reduce.last - map.first).count());
  std::printf(
      "ledger %-8s load: %d worker processes, tasks of %d ms: map %d in %.2f s (%.0f/s), barrier "
      "%.0f ms, reduce %d in %.2f s (%.0f/s); %.0f partitions/s over both stages (%.1f s wall: "
      "%.1f s for the workers to start and connect, %.1f s from the last completion to the last "
      "exit)\n",
      name.c_str(), config.load_workers, task_ms, map.partitions, map.Seconds(),
      map.partitions / map.Seconds(),
      std::chrono::duration<double, std::milli>(reduce.first - map.last).count(), reduce.partitions,
      reduce.Seconds(), reduce.partitions / reduce.Seconds(), total / both, wall,
      std::chrono::duration<double>(map.first - started).count(),
      std::chrono::duration<double>(ended - reduce.last).count());
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
  if (config.load_workers > 0) {
    for (int task_ms : config.task_ms) Load(name, fresh_url(run++), config, task_ms);
  }
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
  app.add_option("--load-workers", config.load_workers,
                 "worker processes of the staged load run (0: skip it)");
  app.add_option("--load-map", config.load_map, "map partitions of the load run");
  app.add_option("--load-reduce", config.load_reduce, "reduce partitions of the load run");
  app.add_option("--task-ms", config.task_ms, "task lengths of the load runs, in ms");
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
      server = std::make_unique<testing::PostgresServer>(testing::PostgresServerOptions{
          .fsync = !no_fsync, .max_connections = std::max(200, 2 * config.load_workers + 20)});
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
