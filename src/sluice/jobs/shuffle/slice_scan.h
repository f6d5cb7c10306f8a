// A reduce task's input: its slices' row groups of every committed map output (map_output.h), as
// a TableScan whose units are runs of row groups that lie next to each other in one map output.
// A map output writes the slices of one flush in slice order, so a reducer's range of slices is
// one run per flush: each unit costs one ranged read (on S3, one GET per 8 MiB, fetched at once)
// instead of one per column chunk or row group, and is decoded from memory.
//
// Memory: a unit is at most max_unit_bytes of column data (a run is cut there) unless one row group
// is larger; reading it holds its fetched bytes while they are decoded, charged to `fetch_gate`
// before they are fetched (a read waits for room there), and then its decoded batches, which the
// executor charges as they flow.
//
// Thread safety: the scan's units may be read from any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/memory_gate.h"
#include "sluice/ops/table_scan.h"

namespace sluice::shuffle {

// paths: map outputs' data files (local or s3://), in map order; row_groups[f]: the row groups of
// paths[f] to read, ascending. Rows keep that order: stream order (first/last) is map order, then
// file order. columns: those to decode (all when empty), in the order asked; a unit's read still
// fetches its run whole. Errors as TableScan::Open's (InvalidData naming both files for different
// schemas).
std::shared_ptr<TableScan> OpenSlices(const std::vector<std::string>& paths,
                                      const std::vector<std::vector<int>>& row_groups,
                                      int64_t max_unit_bytes,
                                      std::shared_ptr<MemoryGate> fetch_gate,
                                      const std::vector<std::string>& columns = {});

}  // namespace sluice::shuffle
