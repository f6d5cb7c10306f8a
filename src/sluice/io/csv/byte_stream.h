// ByteStream: a file's bytes read front to back, decompressed when the file is gzip (any number
// of members) or zstd (any number of frames), detected by magic bytes, not by name. Compressed
// files cannot be split, so one reader decompresses a whole file, a block at a time.
//
// Ownership: a stream owns its open file. Thread safety: one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "sluice/io/fs/file_system.h"

namespace sluice::csv {

enum class Compression { kNone, kGzip, kZstd };

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Fills out[0, n) and returns n, or fewer only at the end of the stream.
  virtual size_t Read(char* out, size_t n) = 0;
  // Compressed bytes consumed so far (for progress and estimates).
  virtual int64_t compressed_position() const = 0;
};

Compression DetectCompression(fs::ReadableFile& file);
std::unique_ptr<ByteStream> OpenByteStream(std::unique_ptr<fs::ReadableFile> file);

}  // namespace sluice::csv
