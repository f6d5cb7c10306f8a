// Per-item overhead of the flow executor against oneTBB's parallel_pipeline: a source, three
// trivial maps and a summing sink over the same items on the same threads. Prints each side's
// time per item and the ratio (target: sluice at most 2x TBB).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sluice/base/cores.h"
#include "sluice/flow/pipeline.h"

namespace {

constexpr int64_t kItems = 1'000'000;

int Threads() { return sluice::UsableCores(); }

void BM_Sluice(benchmark::State& state) {
  for (auto _ : state) {
    sluice::Pipeline p("overhead");
    int64_t next = 0;
    auto total = p.Source("numbers",
                          [&](sluice::Emitter<int64_t>& out) {
                            while (next < kItems) out.Emit(next++);
                          })
                     .Map("a", [](int64_t x) { return x + 1; })
                     .Map("b", [](int64_t x) { return x * 3; })
                     .Map("c", [](int64_t x) { return x - 2; })
                     .Reduce(
                         "sum", int64_t{0}, [](int64_t& acc, int64_t x) { acc += x; },
                         [](int64_t& into, int64_t&& part) { into += part; });
    p.Run({.memory_budget = sluice::ParseBytes("64MiB"), .cpu_threads = Threads()});
    benchmark::DoNotOptimize(total.value());
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}

void BM_Tbb(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, Threads());
  for (auto _ : state) {
    int64_t next = 0;
    std::atomic<int64_t> total{0};
    tbb::parallel_pipeline(
        4 * Threads(),
        tbb::make_filter<void, int64_t>(tbb::filter_mode::serial_in_order,
                                        [&](tbb::flow_control& fc) -> int64_t {
                                          if (next >= kItems) {
                                            fc.stop();
                                            return 0;
                                          }
                                          return next++;
                                        }) &
            tbb::make_filter<int64_t, int64_t>(tbb::filter_mode::parallel,
                                               [](int64_t x) { return x + 1; }) &
            tbb::make_filter<int64_t, int64_t>(tbb::filter_mode::parallel,
                                               [](int64_t x) { return x * 3; }) &
            tbb::make_filter<int64_t, int64_t>(tbb::filter_mode::parallel,
                                               [](int64_t x) { return x - 2; }) &
            tbb::make_filter<int64_t, void>(tbb::filter_mode::parallel, [&](int64_t x) {
              total.fetch_add(x, std::memory_order_relaxed);
            }));
    benchmark::DoNotOptimize(total.load());
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}

// Short repetitions of both, interleaved at random (flags set in main): a VM's speed drifts over
// seconds, and running all of one side before the other put that drift into the ratio (TBB at 90
// or 200 ns/item depending on the minute).
constexpr int kRepetitions = 9;
BENCHMARK(BM_Sluice)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.4)
    ->Repetitions(kRepetitions)
    ->UseRealTime();
BENCHMARK(BM_Tbb)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.4)
    ->Repetitions(kRepetitions)
    ->UseRealTime();

// Remembers each benchmark's median real time per iteration so the ratio can be printed.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colors only on a terminal: bench/run.sh greps the lines.
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        medians_[run.run_name.function_name] = run.GetAdjustedRealTime();
      }
    }
  }
  std::map<std::string, double> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  args.insert(args.begin() + 1, {interleave.data(), aggregates.data()});  // later flags override
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double sluice_ms = reporter.medians_["BM_Sluice"];
  const double tbb_ms = reporter.medians_["BM_Tbb"];
  if (sluice_ms > 0 && tbb_ms > 0) {
    fmt::print(
        "pipeline overhead ({} threads, source + 3 maps + sink, medians of {} interleaved "
        "repetitions): sluice {:.0f} ns/item, TBB {:.0f} ns/item, ratio {:.2f}x (target <= "
        "2.00x)\n",
        Threads(), kRepetitions, sluice_ms * 1e6 / kItems, tbb_ms * 1e6 / kItems,
        sluice_ms / tbb_ms);
  }
  return 0;
}
