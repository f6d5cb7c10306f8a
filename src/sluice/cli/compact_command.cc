#include "sluice/cli/compact_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/compact/compact_job.h"

namespace sluice::cli {
namespace {

// The --ledger flag that names a compaction's ledger for another command (sluice retry).
std::string RetryLedgerFlag(const std::string& ledger_url, const std::string& destination) {
  if (!ledger_url.empty()) return fmt::format("--ledger '{}'", ledger_url);
  if (fs::IsS3Url(destination)) return "--state .sluice";
  return fmt::format("--state '{}'", (std::filesystem::path(destination) / ".sluice").string());
}

struct CompactFlags {
  std::string source;
  std::string destination;
  std::string target_file_size = "256MiB";
  std::string row_group_size;
  int64_t row_group_rows = 0;
  std::string order_by;
  std::string sort_by;
  std::vector<std::string> zorder_by;
  std::string spill_dir;
  std::string codec = "snappy";
  std::optional<int> compression_level;
  bool union_by_name = true;
  std::string compat = "any";
  bool page_index = true;
  std::vector<std::string> bloom_filter;
  double bloom_filter_fpp = 0.01;
  bool verify = false;
  bool delete_source = false;
  bool dry_run = false;
  bool submit = false;
  std::string job;
  int partitions_in_flight = 8;
  double lease_seconds = 30;
  double retry_delay_seconds = 1;
  int64_t max_attempts = 2;
  JobFlags job_flags;
  LedgerFlags ledger;
};

parquet::CompressionCodec ParseCodec(const std::string& name) {
  using parquet::CompressionCodec;
  static const std::pair<const char*, CompressionCodec> kNames[] = {
      {"snappy", CompressionCodec::kSnappy},     {"zstd", CompressionCodec::kZstd},
      {"gzip", CompressionCodec::kGzip},         {"brotli", CompressionCodec::kBrotli},
      {"lz4", CompressionCodec::kLz4Raw},        {"lz4_raw", CompressionCodec::kLz4Raw},
      {"none", CompressionCodec::kUncompressed}, {"uncompressed", CompressionCodec::kUncompressed},
  };
  for (const auto& [n, codec] : kNames) {
    if (name == n) return codec;
  }
  throw InvalidArgument("--codec {} is not one of snappy, zstd, gzip, brotli, lz4, none", name);
}

int Run(const CompactFlags& flags) {
  compact::CompactJobOptions options;
  compact::CompactOptions& c = options.compact;
  c.source = flags.source;
  c.destination = flags.destination;
  c.target_file_bytes = ParseBytes(flags.target_file_size);
  if (c.target_file_bytes <= 0) throw InvalidArgument("--target-file-size must be positive");
  c.row_group_rows = flags.row_group_rows;
  if (!flags.row_group_size.empty()) {
    c.row_group_bytes = ParseBytes(flags.row_group_size);
  } else if (flags.row_group_rows > 0) {
    c.row_group_bytes = 0;  // rows alone decide
  }
  if (flags.row_group_rows < 0) throw InvalidArgument("--row-group-rows must not be negative");
  c.order_by = flags.order_by;
  c.sort_by = flags.sort_by;
  c.zorder_by = flags.zorder_by;
  c.spill_dir = flags.spill_dir;
  c.codec = ParseCodec(flags.codec);
  c.compression_level = flags.compression_level;
  c.union_by_name = flags.union_by_name;
  c.compat = compact::ParseReaderCompat(flags.compat);
  c.page_index = flags.page_index;
  c.bloom_filter_columns = flags.bloom_filter;
  c.bloom_filter_fpp = flags.bloom_filter_fpp;
  if (!(c.bloom_filter_fpp > 0 && c.bloom_filter_fpp < 1))
    throw InvalidArgument("--bloom-filter-fpp must lie between 0 and 1 (exclusive)");
  c.verify = flags.verify;
  c.delete_source = flags.delete_source;
  c.dry_run = flags.dry_run;
  if (c.dry_run && c.delete_source)
    throw InvalidArgument("--dry-run deletes nothing; drop --delete-source");
  options.job_name = flags.job;
  if (!flags.ledger.url.empty() || !flags.ledger.state_dir.empty())
    options.ledger_url = flags.ledger.Url();
  if (flags.partitions_in_flight < 1)
    throw InvalidArgument("--partitions-in-flight must be at least 1");
  if (!(flags.lease_seconds >= 0.3)) throw InvalidArgument("--lease must be at least 0.3 seconds");
  if (flags.max_attempts < 1) throw InvalidArgument("--max-attempts must be at least 1");
  options.worker.slots = flags.partitions_in_flight;
  options.worker.lease = ledger::Duration(static_cast<int64_t>(flags.lease_seconds * 1000));
  options.worker.backoff_base =
      ledger::Duration(static_cast<int64_t>(flags.retry_delay_seconds * 1000));
  options.max_attempts = flags.max_attempts;
  options.submit_only = flags.submit;
  if (c.dry_run && flags.submit) throw InvalidArgument("--dry-run submits nothing; drop --submit");
  RunOptions run =
      flags.job_flags.ToRunOptions(InstallInterruptHandler(), {c.source, c.destination});
  compact::CompactSummary summary = compact::RunCompaction(options, run);
  if (flags.submit) {
    fmt::print(
        "submitted job {}: {} partitions listed; run `sluice worker --job '{}' --ledger "
        "URL` on any host to compact them\n",
        summary.job_name, summary.partitions, summary.job_name);
    return 0;
  }
  if (!c.dry_run) fmt::print("{}", summary.report.Summary());
  fmt::print("{}", compact::FormatCompactSummary(summary, c));
  fmt::print("{}", fs::S3RequestSummary());
  if (summary.partitions_failed == 0) return 0;
  // A partition that used up its attempts stays failed across runs until it is requeued: say so,
  // or "run the command again" in its error would change nothing.
  fmt::print(stderr,
             "sluice: {} of {} partitions failed (FAILED above); once the cause is fixed, requeue "
             "them with `sluice retry '{}' {}` and run the command again\n",
             summary.partitions_failed, summary.partitions, summary.job_name,
             RetryLedgerFlag(options.ledger_url, c.destination));
  return 1;
}

}  // namespace

std::function<int()> AddCompactCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "compact",
      "Compact a partitioned Parquet dataset: every directory under SRC that holds Parquet files "
      "becomes the same directory under DST with few large files of large row groups. Pages are "
      "copied without decoding where codec and encoding allow; dictionaries are merged. Files of "
      "one partition may differ in schema: columns are matched by name, missing ones become "
      "nulls, compatible widenings are re-encoded. --sort-by and --zorder-by sort the rows of "
      "each partition instead, spilling when it does not fit in --memory. Each partition commits "
      "atomically and once; "
      "re-running the same command resumes.");
  auto flags = std::make_shared<CompactFlags>();
  command->add_option("SRC", flags->source, "Source directory or s3://bucket/prefix")->required();
  command->add_option("DST", flags->destination, "Destination directory or s3://bucket/prefix")
      ->required();
  command->add_option("--target-file-size", flags->target_file_size, "Output file size (on disk)")
      ->capture_default_str();
  command->add_option("--row-group-size", flags->row_group_size,
                      "Output row group size on disk (default 128MiB unless --row-group-rows)");
  command->add_option("--row-group-rows", flags->row_group_rows, "Rows per output row group");
  command->add_option("--order-by", flags->order_by,
                      "Order row groups by this column's min statistic (default: file order)");
  command->add_option(
      "--sort-by", flags->sort_by,
      "Sort the rows across each partition's output by these columns, col[:desc][,col...] "
      "(nulls last), as Iceberg's sort strategy and Delta's OPTIMIZE do: an external merge sort "
      "inside --memory that spills to --spill-dir; rows are decoded and re-encoded, with "
      "statistics, page indexes and --bloom-filter");
  command
      ->add_option("--zorder-by", flags->zorder_by,
                   "Cluster the rows of each partition by the Z-order of two to eight columns "
                   "(comma-separated): each value's rank among quantiles sampled from the "
                   "partition, bits interleaved, rows sorted by that key, so row groups and pages "
                   "are narrow in every one of the columns")
      ->delimiter(',');
  command->add_option("--spill-dir", flags->spill_dir,
                      "Where --sort-by and --zorder-by spill sorted runs (a private directory, "
                      "removed at the end; default: the system's temporary directory)");
  command->add_option("--codec", flags->codec, "snappy, zstd, gzip, brotli, lz4 or none")
      ->capture_default_str();
  command->add_option("--compression-level", flags->compression_level, "The codec's level");
  command->add_flag("--union-by-name,!--no-union-by-name", flags->union_by_name,
                    "Match the files' columns by name: a column a file lacks is null there, a "
                    "column widened (int32 to int64, float to double, decimal precision) is "
                    "re-encoded, the newest file (modification time) orders the fields; "
                    "--no-union-by-name refuses files whose schemas differ (default: on)");
  command
      ->add_option("--compat", flags->compat,
                   "Readers the output must suit: duckdb, spark, any (both, and Polars) or none; "
                   "pages they cannot read (BYTE_STREAM_SPLIT on integers for DuckDB, any for "
                   "Spark) are rewritten as PLAIN, and a codec they cannot read is refused")
      ->check(CLI::IsMember({"any", "duckdb", "spark", "none"}))
      ->capture_default_str();
  command->add_flag("--page-index,!--no-page-index", flags->page_index,
                    "Write a ColumnIndex and OffsetIndex for every column chunk, so readers skip "
                    "pages; copied pages are indexed from their headers: the OffsetIndex always, "
                    "the ColumnIndex where every page header has min/max statistics (default: on)");
  command
      ->add_option("--bloom-filter", flags->bloom_filter,
                   "Comma-separated columns (dotted paths) given a split-block Bloom filter per "
                   "column chunk, for point lookups (WHERE col = x); their values are decoded "
                   "and hashed, sized for the chunk's distinct values, at most 16 MiB")
      ->delimiter(',');
  command
      ->add_option("--bloom-filter-fpp", flags->bloom_filter_fpp,
                   "False-positive rate the Bloom filters are sized for")
      ->capture_default_str();
  command->add_flag("--verify", flags->verify,
                    "Decode inputs and outputs of each partition and compare their rows before "
                    "committing");
  command->add_flag("--delete-source", flags->delete_source,
                    "Delete a partition's inputs once its outputs are committed and checked");
  command->add_flag("--dry-run", flags->dry_run, "Print the plan; write nothing");
  command->add_flag("--submit", flags->submit,
                    "Create the job and list its partitions into the ledger (--ledger), compact "
                    "none: `sluice worker` processes on any hosts then compact them");
  command->add_option("--job", flags->job, "Job name in the ledger (default from SRC and DST)");
  command
      ->add_option("--partitions-in-flight", flags->partitions_in_flight,
                   "Partitions claimed and compacted at once")
      ->capture_default_str();
  command
      ->add_option("--lease", flags->lease_seconds,
                   "Seconds a claimed partition stays ours without a heartbeat")
      ->capture_default_str();
  command->add_option("--retry-delay", flags->retry_delay_seconds, "Backoff before a retry")
      ->capture_default_str();
  command->add_option("--max-attempts", flags->max_attempts, "Attempts per partition")
      ->capture_default_str();
  flags->job_flags.Add(*command);
  flags->ledger.Add(*command);
  return [flags] { return Run(*flags); };
}

}  // namespace sluice::cli
