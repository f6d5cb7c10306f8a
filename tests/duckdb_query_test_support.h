// DuckDbQuery: a DuckDB in-memory database for interop tests, loaded from the npm package's
// libduckdb.so with dlopen (nothing links against it), that runs SQL and imports the result as a
// sluice RecordBatch through the Arrow C Data Interface. The session time zone is UTC.
//
// Ownership: owns its database and connection. Thread safety: one thread per instance.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sluice/table/record_batch.h"

namespace sluice::testing {

class DuckDbQuery {
 public:
  // Null when the library is missing (the caller skips its test).
  static std::unique_ptr<DuckDbQuery> Open(const std::string& library_path);
  ~DuckDbQuery();
  DuckDbQuery(const DuckDbQuery&) = delete;
  DuckDbQuery& operator=(const DuckDbQuery&) = delete;

  // Runs `sql`; InvalidArgument carrying DuckDB's message when it fails.
  RecordBatch Query(const std::string& sql);
  // Runs `sql`, whose result is one row, and returns its first column as an integer;
  // InvalidArgument naming the query when it returns another number of rows.
  int64_t QueryInt(const std::string& sql);

 private:
  DuckDbQuery() = default;
  void* database_ = nullptr;
  void* connection_ = nullptr;
};

// Two queries' results as multisets: how many rows only `ours` has and how many only `theirs`
// has (EXCEPT ALL both ways).
struct MultisetDifference {
  int64_t only_ours = 0;
  int64_t only_theirs = 0;
};
MultisetDifference CompareMultisets(DuckDbQuery& duckdb, const std::string& ours,
                                    const std::string& theirs);

// Value i of a flat column as text on which sluice's reading and DuckDB's agree, given the other
// side's type `peer`: timestamps floored to the coarser unit of the two, a 16-byte fixed-size
// binary read by DuckDB as text spelled as a UUID, binary values as their bytes, nulls as "null".
std::string ComparableValue(const Array& array, int64_t i, const DataType& peer);

}  // namespace sluice::testing
