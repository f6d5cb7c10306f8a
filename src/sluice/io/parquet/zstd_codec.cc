// ZSTD through libzstd, with one decompression and one compression context per Codec.
#include <zstd.h>

#include "sluice/io/parquet/codec_internal.h"

namespace sluice::parquet {
namespace {

class ZstdCodec final : public Codec {
 public:
  explicit ZstdCodec(int level) : level_(level) {}
  ~ZstdCodec() override {
    ZSTD_freeDCtx(dctx_);
    ZSTD_freeCCtx(cctx_);
  }

  CompressionCodec codec() const override { return CompressionCodec::kZstd; }

  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (dctx_ == nullptr) {
      dctx_ = ZSTD_createDCtx();
      if (dctx_ == nullptr) throw ResourceExhausted("zstd could not create a context");
    }
    // Concatenated frames are decoded too; the result must fill the output exactly.
    size_t n = ZSTD_decompressDCtx(dctx_, output.data(), output.size(), input.data(), input.size());
    if (ZSTD_isError(n)) throw CodecError(codec(), "{}", ZSTD_getErrorName(n));
    if (n != output.size()) {
      throw CodecError(codec(), "the data decompresses to {} bytes, the page header says {}", n,
                       output.size());
    }
  }

  size_t MaxCompressedSize(size_t input_size) const override {
    return ZSTD_compressBound(input_size);
  }

  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (cctx_ == nullptr) {
      cctx_ = ZSTD_createCCtx();
      if (cctx_ == nullptr) throw ResourceExhausted("zstd could not create a context");
    }
    size_t n =
        ZSTD_compressCCtx(cctx_, output.data(), output.size(), input.data(), input.size(), level_);
    if (ZSTD_isError(n)) throw InternalError("zstd compression failed: {}", ZSTD_getErrorName(n));
    return n;
  }

 private:
  int level_;
  ZSTD_DCtx* dctx_ = nullptr;
  ZSTD_CCtx* cctx_ = nullptr;
};

}  // namespace

std::unique_ptr<Codec> MakeZstdCodec(int level) { return std::make_unique<ZstdCodec>(level); }

}  // namespace sluice::parquet
