// FetchedBytesSource: a source over bytes already fetched from a file and owned by the source:
// the whole file (an object read in one request), or the range [offset, offset + bytes.size()) of
// a file of file_size bytes (the column chunks of some row groups), so that the Parquet reader
// decodes them without reading again.
//
// A read past the file's end is InvalidData, as from every source; one inside the file but
// outside the fetched range is an InternalError (the caller fetched too little).
//
// Thread safety: immutable after construction; ReadAt may be called concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/random_access_source.h"

namespace sluice::parquet {

class FetchedBytesSource final : public RandomAccessSource {
 public:
  // The whole file.
  FetchedBytesSource(std::string name, fs::FileBytes bytes);
  // A range of a file of file_size bytes.
  FetchedBytesSource(std::string name, fs::FileBytes bytes, int64_t offset, int64_t file_size);

  const std::string& name() const override { return name_; }
  int64_t Size() override { return file_size_; }
  void ReadAt(int64_t offset, std::span<uint8_t> out) override;

 private:
  std::string name_;
  fs::FileBytes bytes_;
  int64_t offset_;
  int64_t file_size_;
};

}  // namespace sluice::parquet
