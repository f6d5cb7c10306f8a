#include "sluice/compact.h"

#include "sluice/jobs/compact/compact_job.h"
#include "sluice/public/public_error.h"
#include "sluice/public/run_settings.h"

namespace sluice::api {

CompactResult Compact(const CompactRequest& request) {
  return CallWithPublicErrors([&] {
    compact::CompactJobOptions options;
    options.compact.source = request.source;
    options.compact.destination = request.destination;
    options.compact.target_file_bytes = request.target_file_bytes;
    options.compact.row_group_bytes = request.row_group_bytes;
    options.compact.union_by_name = request.union_by_name;
    options.compact.compat = compact::ParseReaderCompat(request.compat);
    options.compact.sort_by = request.sort_by;
    options.compact.zorder_by = request.zorder_by;
    options.compact.spill_dir = request.run.spill_dir;
    options.compact.verify = request.verify;
    options.worker.slots = 8;  // partitions in flight, as `sluice compact` runs by default
    const compact::CompactSummary summary =
        compact::RunCompaction(options, RunOptionsOf(request.run));
    CompactResult result{.partitions = summary.partitions,
                         .partitions_this_call = summary.partitions_this_run,
                         .files_in = summary.files_in,
                         .files_out = summary.files_out,
                         .rows = summary.rows,
                         .bytes_in = summary.bytes_in,
                         .bytes_out = summary.bytes_out,
                         .verified = summary.verified,
                         .seconds = summary.wall_seconds};
    for (const auto& [partition, error] : summary.failures) {
      result.failures.push_back(partition + ": " + error);
    }
    return result;
  });
}

}  // namespace sluice::api
