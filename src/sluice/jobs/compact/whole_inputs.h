// Whole inputs: the input files of an output row group fetched whole, at once, before it is
// written. Compaction reads column by column across its inputs, so an input on an object store
// read where it lies would cost one GET per column chunk; fetched whole it costs one, and the
// row group's files are fetched several at a time. Their bytes are held in the compaction's
// input share (compact_memory.h) from before they are fetched until no row group needs them.
//
// Which files: on s3:// and at most kWholeInputBytes, as many of a row group's as its share holds
// at once; others are read where they lie.
// Thread safety: FetchWholeInputs may run on many threads at once, each with its own map.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_gate.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/jobs/compact/compaction_plan.h"

namespace sluice::compact {

inline constexpr int64_t kWholeInputBytes = int64_t{8} << 20;

bool FetchedWhole(const InputFile& file);

// Makes `sources` (by index into `files`) hold every file of `inputs` (an output row group's input
// row groups) that FetchedWhole picks,
// fetched up to 16 at a time, with `hold` holding exactly the bytes of the fetched sources in the
// map. Fetched sources already there (a file whose row groups go on from the last row group) are
// kept when the new ones' bytes can be had at once; otherwise they are dropped and all bytes are
// waited for with nothing held, so that no task waits for room while holding some. The caller
// removes the sources its row group no longer needs before the call. The error of the first
// fetch that failed is rethrown, naming its URL.
void FetchWholeInputs(const std::vector<InputFile>& files, const std::vector<RowGroupRef>& inputs,
                      MemoryGate& gate, const CancellationToken& cancel, MemoryGate::Hold& hold,
                      std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources);

}  // namespace sluice::compact
