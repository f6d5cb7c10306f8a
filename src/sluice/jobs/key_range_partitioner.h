// KeyRangePartitioner: integer key ranges over one column of a SQL table, read through SQLite or
// PostgreSQL (the source is named like a ledger: "sqlite:PATH", a plain path, or
// "postgresql://..."). Every `step`-th distinct key in order starts a range; a range runs up to
// the key before the next start, the last to the largest key, so together they cover every row.
// Key = "lo..hi"; a KeyRangePartition {table, column, lo, hi} (both inclusive).
//
// The table and column names are quoted as SQL identifiers (schema.table allowed), never spliced;
// the step is a bound parameter.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/jobs/partitioner.h"

namespace sluice::jobs {

// The definition of its partitions (partition_definition.h); its fields are the command
// placeholders {table}, {column}, {lo}, {hi}.
struct KeyRangePartition {
  std::string table;
  std::string column;
  int64_t lo = 0;
  int64_t hi = 0;

  std::string ToJson() const;
  static KeyRangePartition FromJson(std::string_view json);  // InvalidData when malformed
};

class KeyRangePartitioner : public Partitioner {
 public:
  // InvalidArgument for a malformed source URL, empty or unquotable names, or step < 1; checked
  // here, before anything is read or written.
  KeyRangePartitioner(std::string source_url, std::string table, std::string column, int64_t step);

  std::string Describe() const override;
  std::set<std::string, std::less<>> Fields() const override;
  // NotFound when a SQLite source file does not exist (it is never created); Io for database
  // errors (a missing table or column), with the table and column as context.
  void Generate(const std::function<void(ledger::PartitionSpec)>& emit) override;

 private:
  std::string source_url_;
  std::string table_;
  std::string column_;
  std::string quoted_table_;
  std::string quoted_column_;
  int64_t step_;
};

}  // namespace sluice::jobs
