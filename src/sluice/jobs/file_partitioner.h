// FilePartitioner: partitions a set of files named by a glob pattern or a directory (all regular
// files below it, recursively), in sorted path order. Three groupings:
//   kPerFile     one partition per file: key = path; a FilePartition {path, size}
//   kBatches     consecutive files batched until a batch reaches batch_bytes: key = first path
//                and count; a FileBatchPartition {path (the first), paths, size}
//   kByteRanges  each file cut into ranges of range_bytes: key = path@offset; a
//                ByteRangePartition {path, offset, length, size} (a consumer aligns ranges to
//                records itself)
// Batch keys depend on the listing, so adding files to a glob between runs re-batches the tail.
// An s3://bucket/prefix pattern lists objects the same way (wildcards: a glob; else every object
// under the prefix, or the one object it names); paths are then s3:// URLs.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/jobs/partitioner.h"

namespace sluice::jobs {

struct FileGrouping {
  enum class Kind { kPerFile, kBatches, kByteRanges };
  Kind kind = Kind::kPerFile;
  int64_t batch_bytes = 0;  // kBatches
  int64_t range_bytes = 0;  // kByteRanges
};

// The definitions of its partitions (partition_definition.h); their fields are the command
// placeholders {path}, {size}, {paths}, {offset}, {length}.
struct FilePartition {
  std::string path;
  int64_t size = 0;

  std::string ToJson() const;
  static FilePartition FromJson(std::string_view json);  // InvalidData when malformed
};

struct FileBatchPartition {
  std::string path;  // the first of paths
  std::vector<std::string> paths;
  int64_t size = 0;  // of all paths

  std::string ToJson() const;
  static FileBatchPartition FromJson(std::string_view json);
};

struct ByteRangePartition {
  std::string path;
  int64_t offset = 0;
  int64_t length = 0;
  int64_t size = 0;  // of the whole file

  std::string ToJson() const;
  static ByteRangePartition FromJson(std::string_view json);
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
