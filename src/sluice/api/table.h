// Table: the fluent C++ API over the shuffle operators. A Table describes how to produce a
// table (scan files or batches, then group, deduplicate, join, sort); nothing runs until Collect
// or Write, which run each operator in turn on the flow executor, every operator inside the
// same ExecOptions (memory budget, threads, spill directory):
//
//   Table::Scan({"orders/*.parquet"})
//       .GroupBy({"customer_id"}).Agg("sum(amount) as total, count(*) as n")
//       .Join(Table::Scan({"customers.csv"}), {"customer_id"})
//       .Sort(ParseSortKeys("total:desc"), 100)
//       .Write("top.parquet");
//
// An operator's input is its upstream's result, held in memory between operators (the
// operators themselves spill; the handover does not).
//
// Thread safety: a Table is an immutable value; Collect and Write may run from any thread, each
// run independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/flow/options.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/ops/hash_aggregation.h"
#include "sluice/ops/join/join_plan.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct ExecOptions {
  RunOptions run;  // memory budget, threads, progress, cancellation
  std::string spill_dir;
  int min_partitions = 1;
  int max_partitions = 4096;
};

class GroupedTable;

class Table {
 public:
  // Parquet or CSV files (paths, globs, directories), as the CLI reads them.
  static Table Scan(std::vector<std::string> patterns, std::string csv_delimiter = "");
  static Table FromBatches(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches);

  // The same table run under other options (and so are the tables derived from it).
  Table With(ExecOptions options) const;

  GroupedTable GroupBy(std::vector<std::string> keys) const;
  // Distinct rows, or one row per distinct `by` key (the first in input order).
  Table Distinct(std::vector<std::string> by = {}) const;
  // Hash join on equally named key columns.
  Table Join(const Table& right, std::vector<std::string> on,
             JoinKind kind = JoinKind::kInner) const;
  // Sorted by keys; limit >= 0 keeps that many first rows.
  Table Sort(std::vector<SortKey> keys, int64_t limit = -1) const;
  // The first n rows of each `per` group in `order`.
  Table TopN(std::vector<std::string> per, std::vector<SortKey> order, int64_t n) const;

  // Runs the operators; the result's batches, and its schema through the out-parameter.
  std::vector<RecordBatch> Collect(std::shared_ptr<const Schema>* schema = nullptr) const;
  // Runs the operators and writes the result, Parquet or CSV by the extension, under a
  // temporary name renamed onto `path` when complete.
  void Write(const std::string& path, const parquet::ParquetWriteOptions& parquet = {}) const;

 private:
  friend class GroupedTable;
  using Producer = std::function<std::shared_ptr<TableScan>(const ExecOptions&)>;
  Table(Producer produce, ExecOptions options)
      : produce_(std::move(produce)), options_(std::move(options)) {}
  // A table whose rows are `run` applied to this table's rows.
  Table Then(
      std::function<std::shared_ptr<TableScan>(const TableScan&, const ExecOptions&)> run) const;

  Producer produce_;
  ExecOptions options_;
};

class GroupedTable {
 public:
  // "sum(v), mean(x) as m, count(*)" (ParseAggregateCalls' syntax).
  Table Agg(const std::string& aggregates) const;
  Table Agg(std::vector<AggregateCall> aggregates) const;

 private:
  friend class Table;
  GroupedTable(Table table, std::vector<std::string> keys)
      : table_(std::move(table)), keys_(std::move(keys)) {}
  Table table_;
  std::vector<std::string> keys_;
};

}  // namespace sluice
