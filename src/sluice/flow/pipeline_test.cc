#include "sluice/flow/pipeline.h"

#include <gtest/gtest.h>

#include <numeric>

namespace sluice {
namespace {

TEST(PipelineTest, MapFilterSinkSeesEveryItem) {
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
}

}  // namespace
}  // namespace sluice
