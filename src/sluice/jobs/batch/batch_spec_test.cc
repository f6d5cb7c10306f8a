// What a submitted batch job stores in the ledger reads back as it was written (the command's
// fields and the prepared chunks), and malformed specs fail as InvalidData.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/jobs/batch/batch_command_spec.h"
#include "sluice/jobs/batch/batched_job.h"

namespace sluice::batch {
namespace {

// The kind of the Error f throws; nullopt when it throws none.
template <typename F>
std::optional<ErrorKind> ThrownKind(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return std::nullopt;
}

TEST(BatchCommandSpecTest, RoundTripsEveryField) {
  BatchCommandSpec spec;
  spec.command = {"sh", "task.sh", "{input.a}", "{input.b}", "{output}"};
  spec.input_names = {"a", "b"};
  spec.by = {"k", "j"};
  spec.chunks = 7;
  spec.name = "sums";
  spec.version = "3";
  spec.max_attempts = 5;
  spec.retry_delay_ms = 250;
  spec.chunks_in_flight = 4;
  spec.resources = {{"warehouse", 2}};
  spec.then = {"echo {chunk}"};
  spec.then_version = "2";
  spec.then_concurrency = 9;
  spec.finalize = "echo {manifest}";
  const BatchCommandSpec back = BatchCommandSpec::FromJson(spec.ToJson());
  EXPECT_EQ(back.ToJson(), spec.ToJson());
  const BatchedJob job = back.MakeJob();
  EXPECT_EQ(job.options().retry_delay, std::chrono::milliseconds(250));
  ASSERT_EQ(job.steps().size(), 1u);
  EXPECT_EQ(job.steps()[0].options.version, "2");
  EXPECT_EQ(job.steps()[0].options.concurrency, 9);

  nlohmann::json broken = spec.ToJson();
  broken.erase("by");
  EXPECT_EQ(ThrownKind([&] { BatchCommandSpec::FromJson(broken); }), ErrorKind::kInvalidData);
}

TEST(PreparedBatchTest, RoundTripsChunksOutcomesAndSources) {
  PreparedBatch p;
  p.out = "s3://b/out";
  p.work_dir = "s3://b/work";
  p.input_names = {"a", "b"};
  p.chunk_inputs = {{{"", 10, "fa0"}, {"", 0, "fa1"}}, {{"", 3, "fb0"}, {"", 4, "fb1"}}};
  p.input_sources["a"] = {"k: int64", std::vector<FileStamp>{{"s3://b/in/a.parquet", 9, 0, "e"}}};
  p.input_sources["b"] = {"k: int64", std::nullopt};
  ChunkOutcome hit;
  hit.chunk = 0;
  hit.key = "k0";
  hit.status = ChunkStatus::kHit;
  hit.reason = "unchanged";
  hit.steps = {{"load", "hit", "s0", 0, ""}};
  ChunkOutcome miss = hit;
  miss.chunk = 1;
  miss.key = "k1";
  miss.status = ChunkStatus::kRecomputed;
  miss.reason = "input a changed";
  miss.steps = {{"load", "not run", "s1", 0, ""}};
  p.chunks = {hit, miss};
  p.to_compute = {1};
  const PreparedBatch back = PreparedBatch::FromJson(p.ToJson());
  EXPECT_EQ(back.ToJson(), p.ToJson());
  EXPECT_EQ(back.chunks[1].rows_in.at("b"), 4);
  EXPECT_EQ(back.chunk_inputs[0][1].fingerprint, "fa1");
  EXPECT_EQ(back.SplitPath(1, 1), "s3://b/work/b/chunk-00001.parquet");

  nlohmann::json bad = p.ToJson();
  bad["to_compute"] = {2};
  EXPECT_EQ(ThrownKind([&] { PreparedBatch::FromJson(bad); }), ErrorKind::kInvalidData);
  bad = p.ToJson();
  bad["inputs"] = {"a", "c"};
  EXPECT_EQ(ThrownKind([&] { PreparedBatch::FromJson(bad); }), ErrorKind::kInvalidData);
}

}  // namespace
}  // namespace sluice::batch
