// HivePartitioner: finds the partitions of a compaction: every directory under the source root
// (the root included) that directly holds Parquet files ("*.parquet", or any regular file not
// starting with "." or "_" when it has no extension). Directories are walked depth-first in
// sorted order, one directory listing at a time, and each partition is emitted as soon as it is
// found, so compaction starts before the listing ends. Hidden and underscore-prefixed entries
// ("_SUCCESS", ".sluice") are skipped.
//
// Key: the partition's path relative to the root ("date=2026-01-01", "." for the root itself);
// definition: a HivePartition, {"dir": absolute path}. An s3://bucket/prefix root is walked the
// same way over key prefixes (ListObjectsV2 with delimiter "/"); its partitions' dirs are s3://
// URLs.
//
// Thread safety: one thread at a time.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/jobs/partitioner.h"

namespace sluice::compact {

// True for names compaction reads as data files.
bool IsDataFileName(const std::string& name);

// The data files directly in `dir`, sorted, with their sizes. Io error naming the directory.
struct ListedFile {
  std::string path;
  int64_t size = 0;
  int64_t modified_ns = 0;  // last modification (file clock); 0 when the listing has none (S3)
};
std::vector<ListedFile> ListDataFiles(const std::filesystem::path& dir);

// One partition's definition: the directory whose data files it compacts.
struct HivePartition {
  std::string dir;  // absolute path or s3:// URL

  std::string ToJson() const;
  // InvalidData when the definition is not a hive partition's.
  static HivePartition FromJson(std::string_view json);
};

class HivePartitioner : public jobs::Partitioner {
 public:
  // NotFound when the root is not a directory (an s3:// root: when nothing lies under it).
  explicit HivePartitioner(std::filesystem::path root);
  std::string Describe() const override;
  std::set<std::string, std::less<>> Fields() const override;
  void Generate(const std::function<void(ledger::PartitionSpec)>& emit) override;

 private:
  void Walk(const std::filesystem::path& dir,
            const std::function<void(ledger::PartitionSpec)>& emit);
  std::filesystem::path root_;
};

}  // namespace sluice::compact
