#include "sluice/cli/demo_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "sluice/base/bytes.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/demo/demo_pipeline.h"
#include "sluice/demo/sample_dataset.h"
#include "sluice/jobs/compact/compact_job.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

struct DemoFlags {
  bool synthetic = false;
  std::string dir;
  bool keep = false;
  SampleDatasetShape shape;
  std::string row_group_size = "4MiB";
  DemoOptions synthetic_options;
};

int RunSynthetic(const DemoFlags& flags, const RunOptions& run) {
  DemoOptions demo = flags.synthetic_options;
  demo.partitions = flags.shape.partitions;
  demo.files_per_partition = flags.shape.files_per_partition;
  demo.row_group_bytes = ParseBytes(flags.row_group_size);
  DemoResult result = RunDemo(demo, run);
  const RunReport& r = result.report;
  fmt::print("{}", r.Summary());
  fmt::print(
      "demo: {} files ({}) into {} row groups in {:.2f} s ({}/s), peak memory {} of {}; {}\n",
      result.files, FormatBytes(result.bytes), result.row_groups, r.wall_seconds,
      FormatBytes(static_cast<int64_t>(static_cast<double>(result.bytes) / r.wall_seconds)),
      FormatBytes(r.peak_memory), FormatBytes(r.memory_budget),
      result.verified ? "verified: every file arrived exactly once"
                      : "VERIFICATION FAILED: files lost or duplicated");
  return result.verified ? 0 : 1;
}

int RunCompactDemo(const DemoFlags& flags, const RunOptions& run) {
  fs::path dir = flags.dir.empty()
                     ? fs::temp_directory_path() / fmt::format("sluice-demo-{}", getpid())
                     : fs::path(flags.dir);
  fs::remove_all(dir / "src");
  fs::remove_all(dir / "dst");
  auto started = std::chrono::steady_clock::now();
  SampleDatasetInfo info = WriteSampleDataset((dir / "src").string(), flags.shape);
  double generate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(
      "demo: wrote {} small Parquet files ({}, {} rows) in {} partitions under {} in {:.1f} s\n",
      info.files, FormatBytes(info.bytes), info.rows, flags.shape.partitions,
      (dir / "src").string(), generate_seconds);
  fmt::print("demo: sluice compact {} {} --row-group-size {} --verify\n", (dir / "src").string(),
             (dir / "dst").string(), flags.row_group_size);
  compact::CompactJobOptions options;
  options.compact.source = (dir / "src").string();
  options.compact.destination = (dir / "dst").string();
  options.compact.row_group_bytes = ParseBytes(flags.row_group_size);
  options.compact.verify = true;
  options.worker.slots = 4;
  compact::CompactSummary summary = compact::RunCompaction(options, run);
  fmt::print("{}", summary.report.Summary());
  fmt::print("{}", compact::FormatCompactSummary(summary, options.compact));
  bool ok = summary.partitions_failed == 0 && summary.rows == info.rows;
  fmt::print("demo: {}\n", ok ? "every partition compacted and verified row by row"
                              : "COMPACTION OR VERIFICATION FAILED");
  if (!flags.keep && flags.dir.empty()) fs::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace

std::function<int()> AddDemoCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "demo",
      "Generate a sample dataset of small Parquet files across partitions, compact it with "
      "`sluice compact` (live stage view, memory budget, verdict), verify it and print the "
      "summary. --synthetic runs the synthetic compaction-shaped pipeline instead.");
  auto flags = std::make_shared<DemoFlags>();
  auto job_flags = std::make_shared<JobFlags>();
  job_flags->Add(*command, 256_MiB);
  command->add_flag("--synthetic", flags->synthetic, "Run the synthetic pipeline");
  command->add_option("--dir", flags->dir, "Where to write the dataset (default: a temp dir)");
  command->add_flag("--keep", flags->keep, "Keep the generated dataset and its compaction");
  command->add_option("--partitions", flags->shape.partitions, "Partitions to generate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--files", flags->shape.files_per_partition, "Files per partition")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--rows", flags->shape.rows_per_file, "Rows per file")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--row-group-size", flags->row_group_size, "Target bytes per output row group")
      ->capture_default_str();
  command
      ->add_option("--read-latency-ms", flags->synthetic_options.read_latency_ms,
                   "--synthetic: latency of each file read")
      ->capture_default_str();
  return [flags, job_flags] {
    // The live view and log lines go to stderr unbuffered; the demo's own lines must leave as they
    // are written too, or a pipe (`make demo | tee`) shows the progress before "demo: wrote ...".
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    RunOptions run = job_flags->ToRunOptions(InstallInterruptHandler());
    return flags->synthetic ? RunSynthetic(*flags, run) : RunCompactDemo(*flags, run);
  };
}

}  // namespace sluice::cli
