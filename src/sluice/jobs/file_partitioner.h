// FilePartitioner: partitions a set of files named by a glob pattern or a directory (all regular
// files below it, recursively), in sorted path order. Three groupings:
//   kPerFile     one partition per file: key = path; fields path, size
//   kBatches     consecutive files batched until a batch reaches batch_bytes: key = first path
//                and count; fields paths (list), path (the first), size
//   kByteRanges  each file cut into ranges of range_bytes: key = path@offset; fields path, offset,
//                length, size (a consumer aligns ranges to records itself)
// Batch keys depend on the listing, so adding files to a glob between runs re-batches the tail.
// An s3://bucket/prefix pattern lists objects the same way (wildcards: a glob; else every object
// under the prefix, or the one object it names); paths are then s3:// URLs.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/jobs/partitioner.h"

namespace sluice::jobs {

struct FileGrouping {
  enum class Kind { kPerFile, kBatches, kByteRanges };
  Kind kind = Kind::kPerFile;
  int64_t batch_bytes = 0;  // kBatches
  int64_t range_bytes = 0;  // kByteRanges
};

class FilePartitioner : public Partitioner {
 public:
  // InvalidArgument for an empty pattern or a non-positive batch/range size.
  FilePartitioner(std::string pattern, FileGrouping grouping);

  std::string Describe() const override;
  std::set<std::string, std::less<>> Fields() const override;
  // Io error naming the pattern when a directory cannot be read.
  void Generate(const std::function<void(ledger::PartitionSpec)>& emit) override;

 private:
  std::string pattern_;
  FileGrouping grouping_;
};

}  // namespace sluice::jobs
