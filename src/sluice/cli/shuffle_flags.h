// The flags every shuffling command (groupby, distinct) shares: how many hash partitions, where
// spill runs go, and the coalescing target; plus the summary line and report they all print.
//
// Thread safety: plain values; used on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sluice/ops/group_by.h"
#include "sluice/ops/table_scan.h"

namespace sluice::cli {

struct ShuffleFlags {
  std::string partitions;
  std::string spill_dir;
  std::string advisory_partition_size = "64MiB";

  void Add(CLI::App& command);
  // InvalidArgument naming the flag for a bad value.
  void Apply(GroupByOptions& options) const;
};

// "8" or "4..64": InvalidArgument naming --partitions otherwise.
std::pair<int, int> ParsePartitionRange(const std::string& text);

// Prints the scan's stage table and one summary line (and the row filter's, where_flag.h);
// writes the group-by report to report_path when one is given.
void PrintGroupByOutcome(const std::string& verb, const GroupByResult& result,
                         const TableScan& scan, const std::string& output,
                         const std::string& report_path);

}  // namespace sluice::cli
