// Page compression codecs: UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD, LZ4_RAW and the deprecated
// LZ4 (read in Hadoop framing or as a raw block, whichever the bytes are; written in Hadoop
// framing, which every reader of that codec understands). LZO is NotSupported.
//
// Decompress knows the exact decompressed size (from the page header) and fills exactly that
// many bytes: corrupt input, output that would be larger or smaller, and trailing garbage are
// all InvalidData. GZIP input may hold several concatenated members.
//
// Ownership: a Codec owns its library contexts (reused across calls, to avoid re-allocating
// them per page). Thread safety: a Codec is used by one thread at a time; make one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sluice/io/parquet/format_enums.h"

namespace sluice::parquet {

class Codec {
 public:
  // `level` is the codec's own scale (GZIP 1..9, ZSTD -7..22, BROTLI 0..11); absent picks a
  // default (GZIP 6, ZSTD 3, BROTLI 8). InvalidArgument for a level out of range or a level given
  // to a codec without levels; NotSupported for LZO and unknown codecs.
  static std::unique_ptr<Codec> Make(CompressionCodec codec, std::optional<int> level = {});

  virtual ~Codec() = default;
  virtual CompressionCodec codec() const = 0;

  // Decompresses `input` into exactly `output.size()` bytes. Empty input for an empty output is
  // accepted for every codec: writers skip compressing empty pages (an empty Snappy or GZIP
  // stream would not be empty).
  void Decompress(std::span<const uint8_t> input, std::span<uint8_t> output);
  // An upper bound on the compressed size of `input_size` bytes.
  virtual size_t MaxCompressedSize(size_t input_size) const = 0;
  // Compresses into `output`, which must hold MaxCompressedSize(input.size()) bytes; returns the
  // compressed size.
  virtual size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) = 0;

  // Appends the compressed form of `input` to `out`.
  void CompressAppend(std::span<const uint8_t> input, std::vector<uint8_t>* out);
  // Returns `input` decompressed to `decompressed_size` bytes.
  std::vector<uint8_t> DecompressToVector(std::span<const uint8_t> input, size_t decompressed_size);

 protected:
  virtual void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) = 0;
};

// True for the codecs Make accepts.
bool IsCodecSupported(CompressionCodec codec);

}  // namespace sluice::parquet
