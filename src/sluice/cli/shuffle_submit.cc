#include "sluice/cli/shuffle_submit.h"

#include <fmt/format.h>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/jobs/shuffle/shuffle_job.h"
#include "sluice/ops/table_files.h"

namespace sluice::cli {

void ShuffleSubmitFlags::Add(CLI::App& command) {
  command.add_flag("--submit", submit,
                   "Define the job in the ledger (--ledger or $SLUICE_LEDGER) and compute nothing "
                   "here: `sluice worker --job NAME` on any hosts runs its map, reduce and gather "
                   "stages (Parquet inputs; --partitions MIN..MAX bounds the reduce tasks)");
  ledger.Add(command);
  command.add_option("--work-dir", work_dir,
                     "With --submit: where map outputs and reduce parts go between hosts, a "
                     "directory every host sees or an s3:// prefix; removed when the job is done "
                     "(default: OUT.sluice-shuffle)");
  command.add_option("--map-size", map_size, "With --submit: input bytes per map task")
      ->capture_default_str();
}

int ShuffleSubmitFlags::Submit(shuffle::ShuffleSpec spec, const std::vector<std::string>& inputs,
                               const ShuffleFlags& shuffle) const {
  CheckTableOutput(spec.output);
  GroupByOptions options;
  shuffle.Apply(options);
  if (!shuffle.spill_dir.empty()) {
    throw InvalidArgument("--spill-dir is each worker's own with --submit; drop it here");
  }
  // Without --partitions: up to 64 reduce tasks, as few as the map outputs' sizes call for.
  spec.min_reducers = shuffle.partitions.empty() ? 1 : options.min_partitions;
  spec.partitions = shuffle.partitions.empty() ? 64 : options.max_partitions;
  spec.advisory_bytes = options.advisory_partition_bytes;
  try {
    spec.map_bytes = ParseBytes(map_size);
  } catch (const Error& e) {
    throw InvalidArgument("--map-size: {}", e.what());
  }
  spec.work_dir = work_dir.empty() ? shuffle::ShuffleSpec::DefaultWorkDir(spec.output) : work_dir;
  shuffle::ResolveShuffleInputs(inputs, spec);
  const std::string url = ledger.Url();
  const shuffle::SubmittedShuffle submitted = shuffle::SubmitShuffle(url, spec);
  fmt::print(
      "submitted job {}: {} map partitions listed{}; run `sluice worker --job '{}' --ledger URL` "
      "on any host to run it\n",
      submitted.job_name, submitted.map_partitions, submitted.resumed ? " (job taken up)" : "",
      submitted.job_name);
  return 0;
}

}  // namespace sluice::cli
