// BROTLI (RFC 7932) through libbrotli's one-shot functions.
#include <brotli/decode.h>
#include <brotli/encode.h>

#include "sluice/io/parquet/codec_internal.h"

namespace sluice::parquet {
namespace {

class BrotliCodec final : public Codec {
 public:
  explicit BrotliCodec(int quality) : quality_(quality) {}

  CompressionCodec codec() const override { return CompressionCodec::kBrotli; }

  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    size_t decoded = output.size();
    BrotliDecoderResult result =
        BrotliDecoderDecompress(input.size(), input.data(), &decoded, output.data());
    if (result != BROTLI_DECODER_RESULT_SUCCESS) {
      throw CodecError(codec(), "corrupt data, or more than the {} bytes expected", output.size());
    }
    if (decoded != output.size()) {
      throw CodecError(codec(), "the data decompresses to {} bytes, the page header says {}",
                       decoded, output.size());
    }
  }

  size_t MaxCompressedSize(size_t input_size) const override {
    size_t bound = BrotliEncoderMaxCompressedSize(input_size);
    // 0 means "too large to bound"; small inputs get a floor for the stream header.
    if (bound == 0) return input_size + (input_size >> 2) + 1024;
    return std::max<size_t>(bound, 16);
  }

  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    size_t encoded = output.size();
    if (!BrotliEncoderCompress(quality_, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, input.size(),
                               input.data(), &encoded, output.data())) {
      throw InternalError("brotli compression of {} bytes failed", input.size());
    }
    return encoded;
  }

 private:
  int quality_;
};

}  // namespace

std::unique_ptr<Codec> MakeBrotliCodec(int quality) {
  return std::make_unique<BrotliCodec>(quality);
}

}  // namespace sluice::parquet
