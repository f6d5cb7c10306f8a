// Ledger throughput and latency with real worker processes.
//
// throughput: N no-op partitions (at most 5000 x batch) are added up front; W forked worker
// processes, each with its own
//   connection, loop Claim(batch) + CompleteMany until nothing is left. Reported: partitions per
//   second from the first claim to the last completion.
// latency: a producer adds partitions in small batches at a steady rate while the workers poll
//   (1 ms when idle); reported: creation-to-claim latency percentiles on the database clock.
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
#include "sluice/ledger/ledger.h"
#include "sluice/ledger/testing/postgres_server.h"

namespace sluice::ledger {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Config {
  int partitions = 20000;
  int workers = 2;
  std::vector<int> batches = {1, 16};
  double latency_seconds = 3;
  int latency_rate = 2000;  // partitions per second added during the latency run
};

// Job names unique across runs, so --ledger may point at a database used before.
int64_t Unique() { return std::chrono::system_clock::now().time_since_epoch().count(); }

// Forks `workers` processes running Work(ledger, worker index); waits for all of them.
template <typename Work>
void RunWorkers(const std::string& url, int workers, Work work) {
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid < 0) throw IoErrorFromErrno(errno, "fork", "worker");
    if (pid == 0) {
      int code = 0;
      try {
        auto ledger = OpenLedger(url);
        work(*ledger, w);
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

void Throughput(const std::string& name, const std::string& url, Config config, int batch) {
  // Small batches are slow by design (one transaction each): fewer partitions keep the run short.
  config.partitions = std::min(config.partitions, 5000 * batch);
  auto ledger = OpenLedger(url);
  JobId job = ledger->CreateJob(fmt::format("throughput-{}-{}-{}", batch, getpid(), Unique())).id;
  std::vector<PartitionSpec> specs;
  for (int i = 0; i < config.partitions; ++i) {
    specs.push_back({fmt::format("p{:07}", i), R"({"noop":true})", 3});
  }
  auto add_start = Clock::now();
  ledger->AddPartitions(job, specs);
  double add_seconds = std::chrono::duration<double>(Clock::now() - add_start).count();
  auto start = Clock::now();
  RunWorkers(url, config.workers,
             [&](Ledger& own, int worker) { ClaimUntilEmpty(own, job, worker, batch); });
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  JobProgress progress = ledger->Progress(job);
  if (progress.done != config.partitions || progress.claims != config.partitions) {
    throw InternalError("lost or repeated work: {} done, {} claims of {}", progress.done,
                        progress.claims, config.partitions);
  }
  std::printf(
      "ledger %-8s throughput: %d workers, batch %2d: %8.0f claim+complete/s "
      "(%d partitions in %.2f s; adding them: %.0f/s)\n",
      name.c_str(), config.workers, batch, config.partitions / seconds, config.partitions, seconds,
      config.partitions / add_seconds);
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
  RunWorkers(url, config.workers, [&](Ledger& own, int worker) {
    ClaimRequest request{"lat-" + std::to_string(worker), 60s, 16};
    while (true) {
      std::vector<Lease> leases = own.Claim(job, request);
      if (leases.empty()) {
        if (own.Progress(job).complete()) return;
        std::this_thread::sleep_for(1ms);
        continue;
      }
      std::vector<Completion> done;
      for (const Lease& lease : leases) done.push_back({lease.ref(), "{}"});
      own.CompleteMany(done);
    }
  });
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
      "ledger %-8s creation-to-claim latency at %d partitions/s, %d workers polling 1 ms: "
      "p50 %lld ms, p99 %lld ms, max %lld ms (%zu partitions)\n",
      name.c_str(), config.latency_rate, config.workers, static_cast<long long>(at(0.5)),
      static_cast<long long>(at(0.99)), static_cast<long long>(latencies.back()), latencies.size());
  std::fflush(stdout);
}

void RunBackend(const std::string& name, const std::function<std::string(int)>& fresh_url,
                const Config& config) {
  int run = 0;
  for (int batch : config.batches) Throughput(name, fresh_url(run++), config, batch);
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
  app.add_option("--batch", config.batches, "claim/complete batch sizes to measure");
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
