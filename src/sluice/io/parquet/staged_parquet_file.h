// StagedParquetFile: the bytes under each of the Parquet writers (file_writer.h,
// row_group_file_writer.h, the sort's parallel writer). Created at a staging path beside the
// target (under $TMPDIR for s3://, io/fs/staged_file.h) with the leading magic; written at
// offsets; finished by the footer (the encoded metadata, its length and the magic), an fsync when
// asked, and publishing onto the target (a rename, or an upload for s3://), so readers see the
// old file or the whole new one. An unfinished file is removed when abandoned or destroyed.
//
// Thread safety: WriteAt and ReadAt may run on several threads at once for disjoint ranges; Finish
// and Abandon are called by one thread, after every WriteAt returned.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "sluice/io/parquet/metadata.h"

namespace sluice::parquet {

class StagedParquetFile {
 public:
  // Bytes before the first row group: the leading magic.
  static constexpr int64_t kHeaderBytes = 4;

  // Creates the staging file for `target` and writes the magic. IoError naming it on failure.
  explicit StagedParquetFile(const std::string& target);
  ~StagedParquetFile() { Abandon(); }
  StagedParquetFile(const StagedParquetFile&) = delete;
  StagedParquetFile& operator=(const StagedParquetFile&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  // IoError naming the staging file.
  void WriteAt(int64_t offset, std::span<const uint8_t> bytes);
  // Reads back bytes already written (a writer indexing the pages it copied). IoError naming the
  // staging file, also when the range passes its end.
  void ReadAt(int64_t offset, std::span<uint8_t> out) const;
  // Writes the footer at `end`, fsyncs when `sync`, closes and publishes onto the target;
  // returns the file's size. On failure the staging file is removed and the error rethrown.
  int64_t Finish(const FileMetaData& metadata, int64_t end, bool sync);
  // Closes and removes the staging file unless published; no-op after.
  void Abandon() noexcept;

 private:
  std::string target_;
  std::string temp_path_;
  int fd_ = -1;
  bool done_ = false;  // published, or removed
};

}  // namespace sluice::parquet
