#include "sluice/flow/pipeline.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>
#include <utility>

namespace sluice {
namespace {

using namespace std::chrono_literals;

struct Blob {
  int64_t id = 0;
  std::vector<char> payload;
};
int64_t ByteSize(const Blob& b) { return static_cast<int64_t>(b.payload.size()); }
std::string Describe(const Blob& b) { return "blob " + std::to_string(b.id); }

Blob MakeBlob(int64_t id, int64_t size) { return Blob{id, std::vector<char>(size, 'x')}; }

int ThreadCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count;
}

// A joined thread can linger in /proc for a moment after join returns, so give the kernel up to a
// second to reap it before counting.
int ThreadCountSettled(int expected) {
  for (int i = 0; i < 100 && ThreadCount() != expected; ++i) std::this_thread::sleep_for(10ms);
  return ThreadCount();
}

void Spin(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(PipelineTest, MapFilterReduceSeesEveryItem) {
  Pipeline p("basic");
  std::vector<int64_t> input(10000);
  std::iota(input.begin(), input.end(), 1);
  auto sum = p.Source("numbers", input)
                 .Map("square", [](int64_t x) { return x * x; })
                 .Filter("even", [](const int64_t& x) { return x % 2 == 0; })
                 .Reduce(
                     "sum", int64_t{0}, [](int64_t& acc, int64_t x) { acc += x; },
                     [](int64_t& into, int64_t&& part) { into += part; });
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  int64_t expected = 0;
  for (int64_t x : input) expected += (x * x) % 2 == 0 ? x * x : 0;
  EXPECT_EQ(sum.value(), expected);
  EXPECT_EQ(report.Stage("square")->counters.items_out, 10000);
  EXPECT_EQ(report.Stage("even")->counters.items_out, 5000);
  EXPECT_LE(report.peak_memory, 1_MiB);
  EXPECT_EQ(report.overdrafts, 0);
}

// Random sizes and speeds on every kind of stage; the budget's own high-water mark must stay
// within the limit and every item must arrive.
TEST(PipelineTest, BudgetNeverExceededUnderRandomSizesAndSpeeds) {
  for (int round = 0; round < 3; ++round) {
    const int64_t budget = 4_MiB;
    Pipeline p("random");
    std::atomic<int64_t> sunk{0}, sunk_bins{0};
    p.Source("gen",
             [&](Emitter<Blob>& out) {
               std::mt19937 rng(round);
               for (int i = 0; i < 400; ++i) out.Emit(MakeBlob(i, 1 + rng() % 32768));
             })
        .FlatMap("split",
                 [](Blob b, Emitter<Blob>& out) {
                   std::mt19937 rng(static_cast<unsigned>(b.id));
                   const int n = static_cast<int>(rng() % 4);
                   for (int i = 0; i < n; ++i) {
                     out.Emit(MakeBlob(b.id * 4 + i, 1 + rng() % 65536));
                   }
                 })
        .Map("cpu",
             [](Blob b) {
               std::mt19937 rng(static_cast<unsigned>(b.id));
               Spin(std::chrono::microseconds(rng() % 300));
               return MakeBlob(b.id, 1 + rng() % 65536);
             })
        .Map("io",
             [](Blob b) {
               std::this_thread::sleep_for(std::chrono::microseconds(b.id % 7 * 100));
               return b;
             },
             {.kind = kIo})
        .Batch("bin", BatchBy::Bytes(256_KiB))
        .Sink("sink", [&](std::vector<Blob> bin) {
          Spin(std::chrono::microseconds(bin.size() * 50));
          sunk += static_cast<int64_t>(bin.size());
          ++sunk_bins;
        });
    RunReport report = p.Run({.memory_budget = budget, .cpu_threads = 2});
    EXPECT_LE(report.peak_memory, budget);
    EXPECT_EQ(report.overdrafts, 0);
    EXPECT_EQ(sunk.load(), report.Stage("split")->counters.items_out);
    EXPECT_EQ(report.Stage("gen")->counters.items_out, 400);
    EXPECT_EQ(report.Stage("bin")->counters.items_out, sunk_bins.load());
    EXPECT_GT(report.peak_memory, 0);
  }
}

TEST(PipelineTest, ItemLargerThanBudgetPassesAloneWithAWarning) {
  Pipeline p("huge");
  std::atomic<int> seen{0};
  p.Source("gen",
           [](Emitter<Blob>& out) {
             for (int i = 0; i < 20; ++i) out.Emit(MakeBlob(i, i == 7 ? 3_MiB : 10_KiB));
           })
      .Map("grow",
           [](Blob b) {
             b.payload.resize(b.payload.size() * 2);
             return b;
           })
      .Sink("sink", [&](Blob) { ++seen; });
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  EXPECT_EQ(seen.load(), 20);
  EXPECT_GE(report.overdrafts, 1);
  ASSERT_FALSE(report.warnings.empty());
  EXPECT_NE(report.warnings[0].find("over the memory budget"), std::string::npos);
}

TEST(PipelineTest, AMapsOutputReusesTheBytesOfTheInputItConsumed) {
  // Each input and each output is 60% of the budget: the output fits only if the input it
  // replaces stops being charged once the map function has consumed it.
  Pipeline p("replace");
  std::atomic<int> seen{0};
  p.Source("gen",
           [](Emitter<Blob>& out) {
             for (int i = 0; i < 10; ++i) out.Emit(MakeBlob(i, 600_KiB));
           })
      .Map("rewrite",
           [](Blob b) {
             Blob fresh = MakeBlob(b.id, static_cast<int64_t>(b.payload.size()));
             return fresh;
           })
      .Sink("sink", [&](Blob b) { seen += b.payload.size() == 600_KiB ? 1 : 0; });
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  EXPECT_EQ(seen.load(), 10);
  EXPECT_LE(report.peak_memory, 1_MiB);
  EXPECT_EQ(report.overdrafts, 0);
}

TEST(PipelineTest, FlatMapPausesMidInputWhenOutputHasNoRoom) {
  Pipeline p("explode");
  std::atomic<int> seen{0};
  p.Source("one", std::vector<int>{1, 2})
      .FlatMap("explode",
               [](int seed, Emitter<Blob>& out) {
                 for (int i = 0; i < 500; ++i) out.Emit(MakeBlob(seed * 1000 + i, 64_KiB));
               })
      .Sink("slow", [&](Blob) {
        Spin(100us);
        ++seen;
      });
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  EXPECT_EQ(seen.load(), 1000);
  // 1000 x 64 KiB went through a 1 MiB budget: the flat map must have waited for room.
  EXPECT_LE(report.peak_memory, 1_MiB);
  EXPECT_EQ(report.overdrafts, 0);
  EXPECT_GT(report.Stage("explode")->times.backpressured_ms, 0);
}

// Bytes of LiveBlob payload alive now and at most.
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_live_bytes{0};

// A payload that counts itself, so the test sees the memory a stage holds whether or not the
// budget was charged for it.
struct LiveBlob {
  explicit LiveBlob(int64_t size) : bytes(size) {
    const int64_t now = live_bytes += bytes;
    int64_t peak = peak_live_bytes.load();
    while (now > peak && !peak_live_bytes.compare_exchange_weak(peak, now)) {
    }
  }
  LiveBlob(LiveBlob&& other) noexcept : bytes(std::exchange(other.bytes, 0)) {}
  LiveBlob(const LiveBlob&) = delete;
  ~LiveBlob() { live_bytes -= bytes; }
  int64_t bytes;
};
int64_t ByteSize(const LiveBlob& b) { return b.bytes; }
std::string Describe(const LiveBlob& b) { return "blob of " + std::to_string(b.bytes); }

TEST(PipelineTest, ProducersPayForEachOutputBeforeMakingIt) {
  // Eight readers of big items (file chunks, each filled by a read that takes a while) into a
  // slow consumer: a reader starts its next item only once the budget has room for it, so what
  // is alive stays within the budget. Each used to fill one unpaid while the others used the
  // room it would need.
  peak_live_bytes = 0;
  Pipeline p("readers");
  std::vector<int> files(8);
  std::iota(files.begin(), files.end(), 0);
  std::atomic<int> seen{0};
  p.Source("files", files)
      .FlatMap("read",
               [](int, Emitter<LiveBlob>& out) {
                 for (int i = 0; i < 12; ++i) {
                   LiveBlob chunk(512_KiB);
                   std::this_thread::sleep_for(3ms);  // filled by a read
                   out.Emit(std::move(chunk));
                 }
               },
               {.kind = kIo, .min_concurrency = 8, .max_concurrency = 8})
      .Sink("slow", [&](LiveBlob) {
        std::this_thread::sleep_for(2ms);
        ++seen;
      });
  RunReport report = p.Run({.memory_budget = 4_MiB, .cpu_threads = 2});
  EXPECT_EQ(seen.load(), 96);
  EXPECT_EQ(report.overdrafts, 0);
  // The first item of each reader is made before the stage has learnt its size.
  EXPECT_LE(peak_live_bytes.load(), 4_MiB + 1_MiB);
}

TEST(PipelineTest, ErrorFromAnyStageCancelsAndLeavesNoThreadBehind) {
  const int threads_before = ThreadCountSettled(1);
  const char* stages[] = {"gen", "cpu", "io", "bin", "sink"};
  for (const char* failing : stages) {
    for (int at : {1, 37, 150}) {
      Pipeline p("fail");
      auto maybe_fail = [failing, at](const char* stage, int64_t id) {
        if (std::string(stage) == failing && id == at) {
          throw InvalidData("bad record {}", id).With("file", "input.csv");
        }
      };
      p.Source("gen",
               [&](Emitter<Blob>& out) {
                 for (int i = 0; i < 200; ++i) {
                   maybe_fail("gen", i);
                   out.Emit(MakeBlob(i, 1000));
                 }
               })
          .Map("cpu",
               [&](Blob b) {
                 maybe_fail("cpu", b.id);
                 return b;
               })
          .Map("io",
               [&](Blob b) {
                 maybe_fail("io", b.id);
                 std::this_thread::sleep_for(50us);
                 return b;
               },
               {.kind = kIo})
          .Batch("bin",
                 [&](const std::vector<Blob>& bin, const Blob& next) {
                   // The rule sees every item but those of the last bin (ids near 199).
                   maybe_fail("bin", next.id);
                   for (const Blob& b : bin) maybe_fail("bin", b.id);
                   return bin.size() >= 5;
                 })
          .Sink("sink", [&](std::vector<Blob> bin) {
            for (const Blob& b : bin) maybe_fail("sink", b.id);
          });
      try {
        p.Run({.memory_budget = 256_KiB, .cpu_threads = 2});
        ADD_FAILURE() << "no error from " << failing;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidData) << e.what();
        EXPECT_EQ(e.ContextValue("stage"), failing) << e.what();
        EXPECT_EQ(e.ContextValue("file"), "input.csv");
        EXPECT_NE(std::string(e.what()).find("bad record"), std::string::npos);
      }
      EXPECT_EQ(ThreadCountSettled(threads_before), threads_before) << failing << " at " << at;
    }
  }
}

TEST(PipelineTest, ErrorNamesTheItem) {
  Pipeline p("describe");
  p.Source("gen", [](Emitter<Blob>& out) { out.Emit(MakeBlob(42, 10)); })
      .Map("parse", [](Blob) -> Blob { throw InvalidData("unterminated quote"); })
      .Sink("sink", [](Blob) {});
  try {
    p.Run({.memory_budget = 1_MiB});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.ContextValue("stage"), "parse");
    EXPECT_EQ(e.ContextValue("item"), "blob 42");
  }
}

TEST(PipelineTest, CancelAtAnyTimeJoinsEveryThread) {
  const int threads_before = ThreadCountSettled(1);
  for (int delay_ms : {0, 5, 30, 80}) {
    CancellationSource source;
    Pipeline p("cancel");
    p.Source("gen",
             [](Emitter<Blob>& out) {
               for (int i = 0; i < 100000 && !out.cancel().cancelled(); ++i) {
                 out.Emit(MakeBlob(i, 5000));
               }
             })
        .Map("io",
             [](Blob b) {
               std::this_thread::sleep_for(200us);
               return b;
             },
             {.kind = kIo})
        .Sink("sink", [](Blob) { Spin(50us); });
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      source.Cancel("interrupted by the user");
    });
    try {
      p.Run({.memory_budget = 512_KiB, .cpu_threads = 2, .cancel = source.token()});
      ADD_FAILURE() << "finished despite cancellation";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCancelled) << e.what();
      EXPECT_NE(std::string(e.what()).find("interrupted by the user"), std::string::npos);
    }
    canceller.join();
    EXPECT_EQ(ThreadCountSettled(threads_before), threads_before)
        << "after cancelling at " << delay_ms << " ms";
  }
}

TEST(PipelineTest, PreservesOrderWhenAsked) {
  Pipeline p("ordered");
  std::vector<int64_t> seen;
  std::vector<int64_t> input(3000);
  std::iota(input.begin(), input.end(), 0);
  p.Source("numbers", input)
      .Map("jitter",
           [](int64_t x) {
             Spin(std::chrono::microseconds((x * 7919) % 200));
             return x;
           })
      .FlatMap("twice",
               [](int64_t x, Emitter<int64_t>& out) {
                 out.Emit(2 * x);
                 out.Emit(2 * x + 1);
               })
      .Map("io",
           [](int64_t x) {
             std::this_thread::sleep_for(std::chrono::microseconds((x * 31) % 100));
             return x;
           },
           {.kind = kIo})
      .Sink("collect", [&](int64_t x) { seen.push_back(x); });
  p.Run({.memory_budget = 64_KiB, .cpu_threads = 2, .preserve_order = true});
  ASSERT_EQ(seen.size(), 6000u);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], static_cast<int64_t>(i));
}

TEST(PipelineTest, AutoscalerGivesTheSlowStageMoreConcurrency) {
  Pipeline p("skewed");
  p.Source("gen",
           [](Emitter<int>& out) {
             for (int i = 0; i < 600; ++i) out.Emit(i);
           })
      .Map("fast",
           [](int x) {
             std::this_thread::sleep_for(200us);
             return x;
           },
           {.kind = kIo})
      .Map("slow",
           [](int x) {
             std::this_thread::sleep_for(5ms);
             return x;
           },
           {.kind = kIo})
      .Sink("sink", [](int) {});
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  const StageReport* fast = report.Stage("fast");
  const StageReport* slow = report.Stage("slow");
  EXPECT_GE(slow->peak_concurrency, 3) << report.Summary();
  EXPECT_GT(slow->peak_concurrency, fast->peak_concurrency) << report.Summary();
}

TEST(PipelineTest, PinnedConcurrencyIsRespected) {
  Pipeline p("pinned");
  std::atomic<int> running{0}, peak{0};
  p.Source("gen", std::vector<int>(200, 1))
      .Map("io",
           [&](int x) {
             int now = ++running;
             int old = peak.load();
             while (now > old && !peak.compare_exchange_weak(old, now)) {
             }
             std::this_thread::sleep_for(1ms);
             --running;
             return x;
           },
           {.kind = kIo, .min_concurrency = 3, .max_concurrency = 3})
      .Sink("sink", [](int) {});
  RunReport report = p.Run({.memory_budget = 1_MiB});
  EXPECT_EQ(peak.load(), 3);
  EXPECT_EQ(report.Stage("io")->peak_concurrency, 3);
}

TEST(PipelineTest, ResourceCapHoldsAcrossStages) {
  Pipeline p("capped");
  std::atomic<int> running{0}, peak{0};
  auto work = [&](int x) {
    int now = ++running;
    int old = peak.load();
    while (now > old && !peak.compare_exchange_weak(old, now)) {
    }
    std::this_thread::sleep_for(2ms);
    --running;
    return x;
  };
  p.Source("gen", std::vector<int>(300, 1))
      .Map("a", work, {.kind = kIo, .resource = "db"})
      .Map("b", work, {.kind = kIo, .resource = "db"})
      .Sink("sink", [](int) {});
  p.Run({.memory_budget = 1_MiB, .resource_caps = {{"db", 3}}});
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(PipelineTest, HungTaskIsReported) {
  Pipeline p("hang");
  p.Source("gen",
           [](Emitter<Blob>& out) {
             for (int i = 0; i < 50; ++i) out.Emit(MakeBlob(i, 10));
           })
      .Map("fetch",
           [](Blob b) {
             std::this_thread::sleep_for(b.id == 20 ? 1500ms : 1ms);
             return b;
           },
           {.kind = kIo})
      .Sink("sink", [](Blob) {});
  RunReport report = p.Run({.memory_budget = 1_MiB, .hung_task_after = 300ms});
  ASSERT_EQ(report.hung_tasks.size(), 1u);
  EXPECT_EQ(report.hung_tasks[0].stage, "fetch");
  EXPECT_EQ(report.hung_tasks[0].item, "blob 20");
  EXPECT_GE(report.hung_tasks[0].running_seconds, 0.3);
}

TEST(PipelineTest, ASourceAwaitingOutsideInputIsNotHung) {
  // The source waits outside the pipeline (a queue fed by another thread) far longer than the
  // hung threshold; that is idle time, not a hung task.
  Pipeline p("await");
  p.Source("queue", [](Emitter<Blob>& out) {
     for (int i = 0; i < 3; ++i) {
       Blob b = out.AwaitInput([i] {
         std::this_thread::sleep_for(400ms);
         return MakeBlob(i, 10);
       });
       out.Emit(std::move(b));
     }
   }).Sink("sink", [](Blob) {});
  RunReport report = p.Run({.memory_budget = 1_MiB, .hung_task_after = 200ms});
  EXPECT_TRUE(report.hung_tasks.empty()) << report.hung_tasks[0].stage;
}

// Regression: sluice compact hung when its source, waiting (AwaitInput) for claims from ledger
// workers that themselves waited for the pipeline, still counted as a task making progress, so
// the stall check never let a budget-blocked task through. Here the source waits until the sink
// has its item, and that item (larger than the whole budget) can only pass when the stall check
// lets it over the limit. A watchdog cancels the run after 10 s, so a regression fails instead of
// hanging.
TEST(PipelineTest, ASourceAwaitingThePipelineDoesNotKeepAStallFromBeingBroken) {
  std::mutex mu;
  std::condition_variable cv;
  bool sunk = false;
  Pipeline p("await-stall");
  p.Source("claims",
           [&](Emitter<Blob>& out) {
             out.Emit(MakeBlob(0, 10));
             out.AwaitInput([&] {
               // Cancellation (the watchdog) must end the wait, or the run could not be joined.
               Subscription wake = out.cancel().Subscribe([&] {
                 std::lock_guard lock(mu);
                 cv.notify_all();
               });
               std::unique_lock lock(mu);
               cv.wait(lock, [&] { return sunk || out.cancel().cancelled(); });
             });
           })
      .Map("grow",
           [](Blob b) {
             b.payload.resize(2_MiB);
             return b;
           })
      .Sink("sink", [&](Blob) {
        std::lock_guard lock(mu);
        sunk = true;
        cv.notify_all();
      });

  CancellationSource watchdog;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread timer([&] {
    std::unique_lock lock(done_mu);
    if (!done_cv.wait_for(lock, 10s, [&] { return done; })) {
      watchdog.Cancel("the pipeline stalled for 10 s");
    }
  });
  RunReport report;
  try {
    report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2, .cancel = watchdog.token()});
  } catch (const Error& e) {
    ADD_FAILURE() << e.what();
  }
  {
    std::lock_guard lock(done_mu);
    done = true;
  }
  done_cv.notify_all();
  timer.join();
  EXPECT_TRUE(sunk);
  EXPECT_GE(report.overdrafts, 1);
}

TEST(PipelineTest, BatchByCountBytesAndRule) {
  auto run = [](auto add_batch) {
    Pipeline p("batch");
    std::vector<std::vector<int64_t>> bins;
    auto stream = p.Source("gen", std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7});
    add_batch(stream).Sink("sink", [&](std::vector<int64_t> bin) { bins.push_back(bin); });
    p.Run({.memory_budget = 1_MiB, .preserve_order = true});
    return bins;
  };
  using Bins = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(run([](auto& s) { return s.Batch("b", BatchBy::Count(3)); }),
            (Bins{{1, 2, 3}, {4, 5, 6}, {7}}));
  // int64 items are 8 bytes: two fit in 16 bytes.
  EXPECT_EQ(run([](auto& s) { return s.Batch("b", BatchBy::Bytes(16)); }),
            (Bins{{1, 2}, {3, 4}, {5, 6}, {7}}));
  EXPECT_EQ(run([](auto& s) {
              return s.Batch("b", [](const std::vector<int64_t>& bin, const int64_t& next) {
                return std::accumulate(bin.begin(), bin.end(), int64_t{0}) + next > 6;
              });
            }),
            (Bins{{1, 2, 3}, {4}, {5}, {6}, {7}}));
}

TEST(PipelineTest, BatchLargerThanBudgetIsFlushedEarlyInsteadOfOverdrawing) {
  Pipeline p("small-budget");
  std::mutex mu;
  std::vector<size_t> bin_sizes;
  p.Source("gen",
           [](Emitter<Blob>& out) {
             for (int i = 0; i < 64; ++i) out.Emit(MakeBlob(i, 32_KiB));
           })
      .Batch("bin", BatchBy::Bytes(4_MiB))
      .Sink("sink", [&](std::vector<Blob> bin) {
        std::lock_guard lock(mu);  // sinks run concurrently
        bin_sizes.push_back(bin.size());
      });
  RunReport report = p.Run({.memory_budget = 512_KiB, .cpu_threads = 2});
  EXPECT_EQ(std::accumulate(bin_sizes.begin(), bin_sizes.end(), size_t{0}), 64u);
  EXPECT_GT(bin_sizes.size(), 1u);
  EXPECT_EQ(report.overdrafts, 0);
  EXPECT_LE(report.peak_memory, 512_KiB);
  EXPECT_GT(report.Stage("bin")->early_flushes, 0);
}

TEST(PipelineTest, RejectsMalformedPipelines) {
  {
    Pipeline p("no-sink");
    p.Source("gen", std::vector<int>{1}).Map("m", [](int x) { return x; });
    EXPECT_THROW(p.Run(), Error);
  }
  {
    Pipeline p("dup");
    auto s = p.Source("gen", std::vector<int>{1});
    EXPECT_THROW(s.Map("gen", [](int x) { return x; }), Error);
  }
  {
    Pipeline p("branch");
    auto s = p.Source("gen", std::vector<int>{1});
    s.Map("a", [](int x) { return x; });
    EXPECT_THROW(s.Map("b", [](int x) { return x; }), Error);
  }
}

TEST(PipelineTest, ReportHasPerSecondSeriesAndVerdict) {
  Pipeline p("report");
  p.Source("gen", std::vector<int>(400, 1))
      .Map("heavy",
           [](int x) {
             Spin(5ms);
             return x;
           })
      .Sink("sink", [](int) {});
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  const StageReport* heavy = report.Stage("heavy");
  EXPECT_GE(heavy->seconds.size(), 1u);
  EXPECT_EQ(report.verdict.bottleneck, "heavy") << report.Summary();
  EXPECT_GT(report.cpu_busy, 0.5);
  auto json = report.ToJson();
  EXPECT_EQ(json["verdict"]["bottleneck"], "heavy");
  EXPECT_EQ(json["stages"][1]["name"], "heavy");
}

// A sink that returns the bytes it wrote reports them as its bytes out, in the run's totals and
// its seconds; a void sink's bytes out stays 0.
TEST(PipelineTest, ASinkReportsTheBytesItWrote) {
  Pipeline p("written");
  auto written =
      p.Source("gen", std::vector<int64_t>(100, 3)).Map("copy", [](int64_t x) { return x; });
  written.Sink("write", [](int64_t x) { return 1000 * x; });
  RunReport report = p.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  const StageReport* write = report.Stage("write");
  EXPECT_EQ(write->counters.bytes_out, 300000);
  EXPECT_EQ(write->counters.items_out, 0);
  int64_t per_second = 0;
  for (const StageSecond& s : write->seconds) per_second += s.counters.bytes_out;
  EXPECT_EQ(per_second, 300000);

  Pipeline q("void");
  q.Source("gen", std::vector<int64_t>(10, 3)).Sink("write", [](int64_t) {});
  EXPECT_EQ(q.Run({.memory_budget = 1_MiB}).Stage("write")->counters.bytes_out, 0);
}

// The process's RSS beside the accounting: memory a stage holds without telling the budget shows
// in peak_rss, and a command's run (process_budget set) warns naming the pipeline.
TEST(PipelineTest, ReportsTheProcessRssAndWarnsWhenItPassesTheAllowance) {
  constexpr size_t kHidden = size_t{160} << 20;
  Pipeline p("hidden");
  p.Source("gen", [](Emitter<int64_t>& out) { out.Emit(1); })
      .Map("hold",
           [](int64_t x) {
             std::vector<char> untracked(kHidden);
             std::memset(untracked.data(), 1, kHidden);
             std::this_thread::sleep_for(50ms);  // long enough for the 10 ms sampler
             return x + untracked[kHidden / 2];
           })
      .Sink("sink", [](int64_t) {});
  RunReport report = p.Run({.memory_budget = 1_MiB, .process_budget = 1_MiB, .cpu_threads = 2});
  EXPECT_GE(report.peak_rss, static_cast<int64_t>(kHidden));
  EXPECT_LE(report.peak_memory, 1_MiB);
  ASSERT_FALSE(report.memory.empty());
  EXPECT_EQ(report.ToJson()["peak_rss_bytes"], report.peak_rss);
  ASSERT_FALSE(report.warnings.empty());
  EXPECT_NE(report.warnings.back().find("RSS reached"), std::string::npos);
  EXPECT_NE(report.warnings.back().find("'hidden'"), std::string::npos);

  // A pipeline inside a larger program (no process_budget) reports RSS but does not judge it.
  Pipeline q("library");
  q.Source("gen", [](Emitter<int64_t>& out) { out.Emit(1); }).Sink("sink", [](int64_t) {});
  RunReport quiet = q.Run({.memory_budget = 1_MiB, .cpu_threads = 2});
  EXPECT_GT(quiet.peak_rss, 0);
  EXPECT_TRUE(quiet.warnings.empty());
}

}  // namespace
}  // namespace sluice
