// Codec::Make, the shared helpers, and the two codecs without state: UNCOMPRESSED and SNAPPY.
#include "sluice/io/parquet/codec.h"

#include <snappy.h>

#include <cstring>

#include "sluice/io/parquet/codec_internal.h"
#include "sluice/io/parquet/snappy_decompress.h"

namespace sluice::parquet {
namespace {

class UncompressedCodec final : public Codec {
 public:
  CompressionCodec codec() const override { return CompressionCodec::kUncompressed; }
  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (input.size() != output.size()) {
      throw CodecError(codec(), "{} bytes stored for a {}-byte page", input.size(), output.size());
    }
    if (!input.empty()) std::memcpy(output.data(), input.data(), input.size());
  }
  size_t MaxCompressedSize(size_t input_size) const override { return input_size; }
  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (!input.empty()) std::memcpy(output.data(), input.data(), input.size());
    return input.size();
  }
};

class SnappyCodec final : public Codec {
 public:
  CompressionCodec codec() const override { return CompressionCodec::kSnappy; }
  // Our own decoder (snappy_decompress.h): Debian's libsnappy decodes several times slower.
  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    SnappyDecompress(input, output);
  }
  size_t MaxCompressedSize(size_t input_size) const override {
    return snappy::MaxCompressedLength(input_size);
  }
  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    size_t length = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(input.data()), input.size(),
                        reinterpret_cast<char*>(output.data()), &length);
    return length;
  }
};

void RejectLevel(CompressionCodec codec, std::optional<int> level) {
  if (level) {
    throw InvalidArgument("the {} codec has no compression levels", CompressionCodecName(codec));
  }
}

int CheckLevel(CompressionCodec codec, std::optional<int> level, int fallback, int min, int max) {
  int value = level.value_or(fallback);
  if (value < min || value > max) {
    throw InvalidArgument("{} compression level {} is outside [{}, {}]",
                          CompressionCodecName(codec), value, min, max);
  }
  return value;
}

}  // namespace

std::unique_ptr<Codec> Codec::Make(CompressionCodec codec, std::optional<int> level) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      RejectLevel(codec, level);
      return std::make_unique<UncompressedCodec>();
    case CompressionCodec::kSnappy:
      RejectLevel(codec, level);
      return std::make_unique<SnappyCodec>();
    case CompressionCodec::kGzip:
      return MakeGzipCodec(CheckLevel(codec, level, 6, 1, 9));
    case CompressionCodec::kBrotli:
      return MakeBrotliCodec(CheckLevel(codec, level, 8, 0, 11));
    case CompressionCodec::kZstd:
      return MakeZstdCodec(CheckLevel(codec, level, 3, -7, 22));
    case CompressionCodec::kLz4Raw:
      RejectLevel(codec, level);
      return MakeLz4RawCodec();
    case CompressionCodec::kLz4:
      RejectLevel(codec, level);
      return MakeLz4HadoopCodec();
    default:
      break;
  }
  throw NotSupported("the {} compression codec is not supported", CompressionCodecName(codec));
}

bool IsCodecSupported(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
    case CompressionCodec::kSnappy:
    case CompressionCodec::kGzip:
    case CompressionCodec::kBrotli:
    case CompressionCodec::kZstd:
    case CompressionCodec::kLz4Raw:
    case CompressionCodec::kLz4:
      return true;
    default:
      return false;
  }
}

void Codec::CompressAppend(std::span<const uint8_t> input, std::vector<uint8_t>* out) {
  size_t start = out->size();
  out->resize(start + MaxCompressedSize(input.size()));
  size_t written = Compress(input, std::span<uint8_t>(out->data() + start, out->size() - start));
  out->resize(start + written);
}

void Codec::Decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  if (input.empty() && output.empty()) return;
  DecompressImpl(input, output);
}

std::vector<uint8_t> Codec::DecompressToVector(std::span<const uint8_t> input,
                                               size_t decompressed_size) {
  std::vector<uint8_t> out(decompressed_size);
  Decompress(input, out);
  return out;
}

}  // namespace sluice::parquet
