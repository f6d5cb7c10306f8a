// The bloom job over a table scan (ops/table_scan.h), for what the CSV byte path cannot do: a
// row filter (`where`, pushed into the scan: Parquet row groups and pages skipped by statistics,
// Bloom filters and the page index, CSV rows filtered as they are parsed) and Parquet inputs.
//
//   row groups (Parquet) or files (CSV) -> read (I/O) -> parse (CPU: batches of passing rows,
//   the column's values hashed as the byte path hashes them) -> insert (Reduce: partial filters)
//
// A CSV column is read as a string unless --schema types it, so its values hash as the byte
// path's do, and a filter built either way holds the same bits. Sizing: --expected-items, else
// for Parquet the rows of the row groups and pages the filter leaves (an upper bound; --sizing
// count counts the passing rows in a first pass), for CSV the passing rows counted in a first pass.
//
// Thread safety: RunBloomScan runs one job; call it from one thread.
#pragma once

#include "sluice/jobs/bloom/bloom_job.h"

namespace sluice {

// Whether the inputs are Parquet: every pattern ends in ".parquet".
bool BloomInputsAreParquet(const std::vector<std::string>& inputs);

// RunBloomJob's work through a TableScan, for options RunBloomJob checked; result.scan holds the
// scan for its filter statistics.
BloomJobResult RunBloomScan(const BloomJobOptions& options, const RunOptions& run);

// SizeBloomFilter for options that take the scan path.
BloomSize SizeBloomScan(const BloomJobOptions& options, const RunOptions& run);

}  // namespace sluice
