// Group-by, distinct, sort and join over tables stored as files: the calls behind the `sluice
// groupby`, `distinct`, `sort` and `join` commands. Inputs are Parquet or CSV files, globs or
// directories (all of one kind; CSV files have a header line and their types are inferred). The
// output's format follows its extension, .parquet or .csv; it is written under a temporary name
// and renamed onto `output` only when the call succeeds, so a failed call leaves none.
//
// Each call runs on `threads` cores inside `memory_bytes`: state that does not fit spills to files
// under `spill_dir`, removed before the call returns.
//
// Errors: Error (error.h), e.g. kNotFound for an input pattern without matches or an unknown
// column, kInvalidArgument for an output that is neither .parquet nor .csv or an expression that
// does not parse, kInvalidData for a malformed input file.
//
// Thread safety: each call is independent; several may run at once, each with its own threads and
// memory budget.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::api {

struct RunSettings {
  int64_t memory_bytes = 0;  // the call's memory budget; 0: 1 GiB
  int threads = 0;           // 0: the cores this process may run on
  std::string spill_dir;     // parent of the call's spill directory; "": the system temp directory
};

// Rows read from the inputs and passed on (`where` applied before the count), rows written, and
// what spilled: the figures `sluice` prints after each command.
struct TableResult {
  int64_t input_rows = 0;
  int64_t output_rows = 0;
  int64_t spilled_bytes = 0;
  double seconds = 0;
};

// One row per distinct value of `by` with the aggregates, as `sluice groupby`.
struct GroupByRequest {
  std::vector<std::string> inputs;
  std::vector<std::string> by;  // key columns; none: one group over all rows
  // count(*), count, count_distinct, sum, min, max, mean (avg), var, stddev, median, first, last,
  // corr(x, y), each optionally `as NAME`: "sum(v), mean(x) as m, count(*)".
  std::string aggregates;
  std::string where;      // a row filter such as "x > 3 and name like 'a%'"; "" for none
  std::string delimiter;  // of CSV inputs; "": "," (tab for .tsv)
  std::string output;
  RunSettings run;
};
TableResult GroupBy(const GroupByRequest& request);

// The distinct rows, or with `by` the first row (in input order) of each distinct key.
struct DistinctRequest {
  std::vector<std::string> inputs;
  std::vector<std::string> by;
  std::string where;
  std::string delimiter;
  std::string output;
  RunSettings run;
};
TableResult Distinct(const DistinctRequest& request);

// The rows ordered by `by` ("a,b:desc": each column ascending unless :desc, nulls last), stable:
// rows with equal keys keep their input order.
struct SortRequest {
  std::vector<std::string> inputs;
  std::string by;
  int64_t limit = -1;  // keep the first `limit` rows; -1 for all
  std::string where;
  std::string delimiter;
  std::string output;
  RunSettings run;
};
TableResult Sort(const SortRequest& request);

// A hash join of two tables on equal keys (nulls never match).
struct JoinRequest {
  std::string left;  // a file, glob or directory
  std::string right;
  std::vector<std::string> left_keys;
  std::vector<std::string> right_keys;  // none: the same names as left_keys
  std::string how = "inner";            // inner, left, right, full, semi or anti
  std::string suffix = "_right";        // appended to right column names that clash with left ones
  std::string delimiter;
  std::string output;
  RunSettings run;
};
// input_rows counts both sides.
TableResult Join(const JoinRequest& request);

}  // namespace sluice::api
