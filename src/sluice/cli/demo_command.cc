#include "sluice/cli/demo_command.h"

#include <fmt/format.h>

#include <memory>

#include "sluice/base/bytes.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/jobs/demo_pipeline.h"

namespace sluice::cli {

std::function<int()> AddDemoCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "demo",
      "Run a synthetic pipeline shaped like Parquet compaction (list partitions, read files with "
      "I/O latency, bin into row groups, concatenate with CPU cost that swings between light and "
      "heavy phases, write) to show the live stage view, the memory budget and the verdict.");
  auto flags = std::make_shared<JobFlags>();
  auto demo = std::make_shared<DemoOptions>();
  auto row_group = std::make_shared<std::string>("4MiB");
  flags->Add(*command, "64MiB");
  command->add_option("--partitions", demo->partitions, "Partitions to generate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--files", demo->files_per_partition, "Files per partition")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--row-group-size", *row_group, "Target bytes per output row group")
      ->capture_default_str();
  command->add_option("--read-latency-ms", demo->read_latency_ms, "Latency of each file read")
      ->capture_default_str();
  return [flags, demo, row_group] {
    RunOptions run = flags->ToRunOptions(InstallInterruptHandler());
    demo->row_group_bytes = ParseBytes(*row_group);
    DemoResult result = RunDemo(*demo, run);
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
  };
}

}  // namespace sluice::cli
