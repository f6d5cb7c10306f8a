// BloomSpec: a bloom job that runs as a staged ledger job across hosts (`sluice bloom --submit`,
// then `sluice worker` anywhere). It is the job's stored options: everything a worker on another
// host needs, with the inputs resolved to files and the filter's size fixed at submit, so that
// every host plans the same partitions and builds partial filters of one geometry.
//
// Stages (jobs/job_stages.h):
//   partial/NNNNN  a few consecutive input files: their column's values into a filter of the
//                  job's size (the one-process job's code, bloom_job.h), written as partial.bloom
//                  into the attempt's directory and published under <work>/<encoded key>/
//   merge/00000    every committed partial ORed into one filter, written whole to the output
// The work directory is removed when the job is done.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/jobs/bloom/bloom_job.h"

namespace sluice {

inline constexpr std::string_view kBloomJobKind = "bloom";
inline constexpr char kPartialStage[] = "partial";
inline constexpr char kMergeStage[] = "merge";

// The CSV reading options as the flags spell them (cli/csv_flags.h), so they travel as text.
struct BloomCsvSpec {
  char delimiter = '\0';  // '\0': by extension
  char quote = '"';
  char escape = '\0';
  char comment = '\0';
  bool header = true;
  bool lenient_quotes = false;
  std::vector<std::string> null_values = {""};
  std::string schema;  // --schema text, e.g. "id:int64"
  bool skip_bad_rows = false;
  int64_t chunk_bytes = int64_t{4} << 20;

  // The reader's options; InvalidArgument for a schema that does not parse.
  csv::CsvReadOptions ToOptions() const;
};

struct BloomSpec {
  std::vector<std::string> inputs;  // files or s3:// objects, in order
  std::vector<int64_t> input_bytes;
  std::string column;
  double fpr = 0.01;
  std::string where;  // row filter, "" for none
  BloomCsvSpec csv;
  int64_t expected_items = 0;  // fixed at submit (SizeBloomFilter)
  std::string sizing;          // given | estimated | counted, as the output file records it
  std::string output;          // the .bloom file, local or s3://
  std::string work_dir;        // partial filters (local or s3://)
  int64_t partial_bytes = int64_t{256} << 20;  // input bytes per partial partition

  // The job's stored options (without the job_spec envelope) and back. InvalidArgument naming
  // what is missing or of the wrong type.
  std::string ToJson() const;
  static BloomSpec FromJson(const std::string& json);

  // The one-process job's options for some of the inputs, the filter's size given.
  BloomJobOptions JobOptions(std::vector<std::string> files) const;

  // "<output>.sluice-bloom".
  static std::string DefaultWorkDir(const std::string& output);
  // The job's name, one word: "bloom-out.bloom-1a2b3c4d" (output file, spec hash).
  std::string JobName() const;
};

}  // namespace sluice
