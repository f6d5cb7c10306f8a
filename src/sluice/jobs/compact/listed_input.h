// A compaction plans a partition from its inputs' sizes and footers, then reads their column
// chunks at the offsets those footers give. An input that changed in between (removed,
// truncated, appended to, replaced by a file with another footer) would mix old metadata with
// new bytes; it fails its partition instead, with InvalidData naming the file, and nothing of
// the partition is committed.
//
// Thread safety: free functions; a source is used by one thread at a time.
#pragma once

#include <memory>

#include "sluice/io/parquet/random_access_source.h"
#include "sluice/jobs/compact/compaction_plan.h"

namespace sluice::compact {

// InvalidData unless `source` (opened for `file`) has the listed size and footer length.
void CheckListedInput(const InputFile& file, parquet::RandomAccessSource& source);

// `file` opened for ranged reads and checked; one gone since it was listed is InvalidData.
std::unique_ptr<parquet::RandomAccessSource> OpenListedInput(const InputFile& file);

}  // namespace sluice::compact
