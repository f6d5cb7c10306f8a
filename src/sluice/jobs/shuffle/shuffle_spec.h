// ShuffleSpec: a group-by or distinct that runs as a staged ledger job across hosts (`sluice
// groupby --submit`, `sluice distinct --submit`, then `sluice worker` anywhere). It is the job's
// stored options: everything a worker on another host needs, with the inputs resolved to files at
// submit so that every host plans the same map partitions.
//
// Stages (job_stages.h):
//   sample/00000  sort only (not a top-N): a sample of every input's sort keys cut into
//   `partitions` ranges
//                 (boundaries.bin), so that map tasks slice rows by range instead of hash
//   map/NNNNN     a few input files: their rows, the columns the query reads, hash-partitioned
//                 by the keys into `partitions` slices, written as one Parquet object plus an
//                 index (map_output.h) under <work>/<encoded key>/
// A top-N (sort with `top`) keeps, in each map task, the top N of its own rows (of each --per
// group, sliced by a hash of the groups; without groups all in slice 0), so that at most N rows a
// group and task are shuffled; its reduce tasks take the top N of their slices (one task without
// groups).
//   reduce/NNNNN  a range of slices, coalesced at the barrier from the map outputs' measured
//                 sizes (advisory_bytes per task, min_reducers..partitions tasks): the operator
//                 over that slice of every committed map output, written as one part
//   gather/00000  the parts in order, into the output file (Parquet or CSV by its extension)
// Outputs of map and reduce attempts go through the output commit (output_commit.h), so a
// reducer reads only committed map attempts; the work directory is removed when the job is done.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::shuffle {

inline constexpr std::string_view kGroupByJobKind = "groupby";
inline constexpr std::string_view kDistinctJobKind = "distinct";
inline constexpr std::string_view kSortJobKind = "sort";
inline constexpr std::string_view kJoinJobKind = "join";

inline bool IsShuffleJobKind(std::string_view kind) {
  return kind == kGroupByJobKind || kind == kDistinctJobKind || kind == kSortJobKind ||
         kind == kJoinJobKind;
}

struct ShuffleSpec {
  std::string kind;                 // kGroupByJobKind or kDistinctJobKind
  std::vector<std::string> inputs;  // Parquet files or s3:// objects, in stream order
  std::vector<int64_t> input_bytes;
  std::string where;              // row filter, "" for none
  std::vector<std::string> keys;  // group-by keys; distinct's --by (empty: every column)
  std::string aggregates;         // group-by: the --agg text
  std::string order_by;           // sort: "col[:desc],..." (ops/sort/sort_key.h)
  int64_t top = -1;               // sort: the first `top` rows only (of each `per` group); -1 all
  std::vector<std::string> per;   // sort with top: the group columns, empty for a global top-N
  // join: `inputs`, `keys` and `where` are the left side's; these the right side's and the kind.
  std::vector<std::string> right_inputs;
  std::vector<int64_t> right_input_bytes;
  std::vector<std::string> right_keys;
  std::string right_where;
  std::string how;       // inner, left, right, full, semi, anti (ops/join/join_plan.h)
  std::string suffix;    // for right columns whose name the left has
  std::string output;    // .parquet or .csv, local or s3://
  std::string work_dir;  // map outputs and parts (local or s3://)
  int64_t map_bytes = int64_t{256} << 20;  // input bytes per map partition
  int partitions = 64;                     // slices each map output is cut into
  int min_reducers = 1;
  int64_t advisory_bytes = int64_t{64} << 20;  // slice bytes one reduce task aims at

  // The job's stored options (without the job_spec envelope) and back. InvalidArgument naming
  // the field that is missing or of the wrong type.
  std::string ToJson() const;
  static ShuffleSpec FromJson(const std::string& json);

  // "<output>.sluice-shuffle" for a local output; the same beside an s3:// one.
  static std::string DefaultWorkDir(const std::string& output);
  // A sort that keeps only its first rows (of each group): no sample, no range slices.
  bool IsTopN() const { return kind == kSortJobKind && top > 0; }
  // The stages in order (sample first for a sort that is not a top-N).
  std::vector<std::string> Stages() const;
  // The job's name, one word: "groupby-out.parquet-1a2b3c4d" (kind, output file, spec hash).
  std::string JobName() const;
};

}  // namespace sluice::shuffle
