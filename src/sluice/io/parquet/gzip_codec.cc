// GZIP (RFC 1952) through zlib. Reads concatenated members and, leniently, zlib-wrapped streams
// (zlib's header auto-detection); writes a single gzip member.
#include <zlib.h>

#include "sluice/io/parquet/codec_internal.h"

namespace sluice::parquet {
namespace {

// windowBits: 15 plus 16 selects the gzip wrapper; plus 32 detects gzip or zlib when reading.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kDetectWindowBits = 15 + 32;

class GzipCodec final : public Codec {
 public:
  explicit GzipCodec(int level) : level_(level) {}
  ~GzipCodec() override {
    if (inflate_ready_) inflateEnd(&inflate_);
    if (deflate_ready_) deflateEnd(&deflate_);
  }

  CompressionCodec codec() const override { return CompressionCodec::kGzip; }

  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (!inflate_ready_) {
      inflate_ = {};
      if (inflateInit2(&inflate_, kDetectWindowBits) != Z_OK) {
        throw ResourceExhausted("zlib could not initialize an inflate stream");
      }
      inflate_ready_ = true;
    } else if (inflateReset(&inflate_) != Z_OK) {
      throw CodecError(codec(), "inflateReset failed");
    }
    inflate_.next_in = const_cast<Bytef*>(input.data());
    inflate_.avail_in = static_cast<uInt>(input.size());
    // zlib refuses a null output pointer even for zero bytes (an empty page's stream).
    uint8_t dummy = 0;
    inflate_.next_out = output.empty() ? &dummy : output.data();
    inflate_.avail_out = static_cast<uInt>(output.size());
    while (true) {
      int rc = inflate(&inflate_, Z_FINISH);
      if (rc == Z_STREAM_END) {
        if (inflate_.avail_in == 0) break;
        // Another member follows: decode it into the rest of the output.
        if (inflateReset(&inflate_) != Z_OK) throw CodecError(codec(), "inflateReset failed");
        continue;
      }
      if (rc == Z_BUF_ERROR && inflate_.avail_out == 0) {
        throw CodecError(codec(), "the data decompresses to more than the {} bytes expected",
                         output.size());
      }
      if (rc == Z_BUF_ERROR) throw CodecError(codec(), "the data is truncated");
      throw CodecError(codec(), "{}", inflate_.msg != nullptr ? inflate_.msg : "corrupt data");
    }
    if (inflate_.avail_out != 0) {
      throw CodecError(codec(), "the data decompresses to {} bytes, the page header says {}",
                       output.size() - inflate_.avail_out, output.size());
    }
  }

  size_t MaxCompressedSize(size_t input_size) const override {
    // compressBound covers the zlib wrapper (6 bytes); the gzip wrapper takes 18.
    return compressBound(static_cast<uLong>(input_size)) + 18;
  }

  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (!deflate_ready_) {
      deflate_ = {};
      if (deflateInit2(&deflate_, level_, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        throw ResourceExhausted("zlib could not initialize a deflate stream");
      }
      deflate_ready_ = true;
    } else {
      deflateReset(&deflate_);
    }
    deflate_.next_in = const_cast<Bytef*>(input.data());
    deflate_.avail_in = static_cast<uInt>(input.size());
    deflate_.next_out = output.data();
    deflate_.avail_out = static_cast<uInt>(output.size());
    int rc = deflate(&deflate_, Z_FINISH);
    if (rc != Z_STREAM_END) {
      throw InternalError("zlib deflate failed ({}) with a {}-byte output for {} bytes", rc,
                          output.size(), input.size());
    }
    return output.size() - deflate_.avail_out;
  }

 private:
  int level_;
  z_stream inflate_{};
  z_stream deflate_{};
  bool inflate_ready_ = false;
  bool deflate_ready_ = false;
};

}  // namespace

std::unique_ptr<Codec> MakeGzipCodec(int level) { return std::make_unique<GzipCodec>(level); }

}  // namespace sluice::parquet
