// Micro benchmarks of the table layer: builders, concat, take and row hashing, in rows per second.
//   build-table/bench/sluice_table_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <vector>

#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/hash.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

constexpr int64_t kRows = 1 << 20;

void CountRows(benchmark::State& state, int64_t rows) {
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}

std::vector<std::string> Words(int64_t n) {
  std::vector<std::string> words;
  for (int64_t i = 0; i < n; ++i) words.push_back(fmt::format("customer-{}", i * 7919 % 100000));
  return words;
}

RecordBatch MakeBatch(int64_t rows, int64_t first) {
  Int64Builder ids;
  Float64Builder amounts;
  StringBuilder names;
  for (int64_t i = first; i < first + rows; ++i) {
    ids.Append(i);
    if (i % 10 == 0) {
      amounts.AppendNull();
    } else {
      amounts.Append(static_cast<double>(i) * 0.25);
    }
    names.Append(fmt::format("customer-{}", i % 100000));
  }
  return RecordBatch::Make(Schema({{"id", DataType::Int64()},
                                   {"amount", DataType::Float64()},
                                   {"name", DataType::String()}}),
                           {ids.Finish(), amounts.Finish(), names.Finish()});
}

void BM_BuildInt64(benchmark::State& state) {
  for (auto _ : state) {
    Int64Builder builder;
    for (int64_t i = 0; i < kRows; ++i) builder.Append(i);
    benchmark::DoNotOptimize(builder.Finish());
  }
  CountRows(state, kRows);
}
BENCHMARK(BM_BuildInt64);

void BM_BuildInt64WithNulls(benchmark::State& state) {
  for (auto _ : state) {
    Int64Builder builder;
    for (int64_t i = 0; i < kRows; ++i) {
      if (i % 8 == 0) {
        builder.AppendNull();
      } else {
        builder.Append(i);
      }
    }
    benchmark::DoNotOptimize(builder.Finish());
  }
  CountRows(state, kRows);
}
BENCHMARK(BM_BuildInt64WithNulls);

void BM_BuildString(benchmark::State& state) {
  std::vector<std::string> words = Words(4096);
  for (auto _ : state) {
    StringBuilder builder;
    for (int64_t i = 0; i < kRows; ++i) builder.Append(words[static_cast<size_t>(i & 4095)]);
    benchmark::DoNotOptimize(builder.Finish());
  }
  CountRows(state, kRows);
}
BENCHMARK(BM_BuildString);

// 16 batches of 64Ki rows (int64, nullable float64, string) into one.
void BM_Concat(benchmark::State& state) {
  std::vector<RecordBatch> batches;
  for (int64_t b = 0; b < 16; ++b) batches.push_back(MakeBatch(kRows / 16, b * (kRows / 16)));
  for (auto _ : state) benchmark::DoNotOptimize(Concat(batches));
  CountRows(state, kRows);
}
BENCHMARK(BM_Concat);

void BM_TakeRandom(benchmark::State& state) {
  RecordBatch batch = MakeBatch(kRows, 0);
  std::vector<int64_t> indices(static_cast<size_t>(kRows));
  for (int64_t i = 0; i < kRows; ++i) {
    indices[static_cast<size_t>(i)] = (i * 2654435761) % kRows;
  }
  for (auto _ : state) benchmark::DoNotOptimize(Take(batch, indices));
  CountRows(state, kRows);
}
BENCHMARK(BM_TakeRandom);

void BM_Hash(benchmark::State& state, std::vector<int> columns) {
  RecordBatch batch = MakeBatch(kRows, 0);
  std::vector<uint64_t> out(static_cast<size_t>(kRows));
  for (auto _ : state) {
    HashRows(batch, columns, out);
    benchmark::DoNotOptimize(out.data());
  }
  CountRows(state, kRows);
}
BENCHMARK_CAPTURE(BM_Hash, int64, std::vector<int>{0});
BENCHMARK_CAPTURE(BM_Hash, nullable_float64, std::vector<int>{1});
BENCHMARK_CAPTURE(BM_Hash, string, std::vector<int>{2});
BENCHMARK_CAPTURE(BM_Hash, int64_and_string, std::vector<int>{0, 2});

}  // namespace
}  // namespace sluice
