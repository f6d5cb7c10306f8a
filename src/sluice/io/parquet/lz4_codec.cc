// LZ4_RAW (a bare LZ4 block) and the deprecated LZ4 codec. Writers of LZ4 disagree: parquet-mr
// (and Arrow since 2021) wrap blocks in Hadoop's framing, a sequence of
//   [4-byte big-endian decompressed size][4-byte big-endian compressed size][LZ4 block],
// while older Arrow wrote a bare block and some tools wrote the LZ4 frame format. The reader tries
// Hadoop framing first, then the frame format (when its magic is there), then a bare block.
#include <lz4.h>
#include <lz4frame.h>

#include <limits>

#include "sluice/io/parquet/codec_internal.h"

namespace sluice::parquet {
namespace {

constexpr size_t kHadoopPrefixSize = 8;
constexpr uint32_t kLz4FrameMagic = 0x184D2204;

uint32_t LoadBe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

void StoreBe32(uint32_t value, uint8_t* p) {
  p[0] = static_cast<uint8_t>(value >> 24);
  p[1] = static_cast<uint8_t>(value >> 16);
  p[2] = static_cast<uint8_t>(value >> 8);
  p[3] = static_cast<uint8_t>(value);
}

bool FitsInt(size_t n) { return n <= static_cast<size_t>(std::numeric_limits<int>::max()); }

// Decodes one bare block; returns the decompressed size or -1 when the block is corrupt.
int DecompressBlock(std::span<const uint8_t> input, std::span<uint8_t> output) {
  if (!FitsInt(input.size()) || !FitsInt(output.size())) return -1;
  return LZ4_decompress_safe(reinterpret_cast<const char*>(input.data()),
                             reinterpret_cast<char*>(output.data()), static_cast<int>(input.size()),
                             static_cast<int>(output.size()));
}

void DecompressRawExact(CompressionCodec codec, std::span<const uint8_t> input,
                        std::span<uint8_t> output) {
  int n = DecompressBlock(input, output);
  if (n < 0)
    throw CodecError(codec, "corrupt data, or more than the {} bytes expected", output.size());
  if (static_cast<size_t>(n) != output.size()) {
    throw CodecError(codec, "the data decompresses to {} bytes, the page header says {}", n,
                     output.size());
  }
}

size_t CompressBlock(std::span<const uint8_t> input, std::span<uint8_t> output) {
  if (!FitsInt(input.size())) throw InvalidArgument("LZ4 cannot compress {} bytes", input.size());
  int n = LZ4_compress_default(
      reinterpret_cast<const char*>(input.data()), reinterpret_cast<char*>(output.data()),
      static_cast<int>(input.size()), static_cast<int>(std::min<size_t>(output.size(), INT32_MAX)));
  if (n <= 0) throw InternalError("LZ4 compression of {} bytes failed", input.size());
  return static_cast<size_t>(n);
}

class Lz4RawCodec final : public Codec {
 public:
  CompressionCodec codec() const override { return CompressionCodec::kLz4Raw; }
  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    DecompressRawExact(codec(), input, output);
  }
  size_t MaxCompressedSize(size_t input_size) const override {
    return FitsInt(input_size) ? LZ4_compressBound(static_cast<int>(input_size)) : input_size;
  }
  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    return CompressBlock(input, output);
  }
};

class Lz4HadoopCodec final : public Codec {
 public:
  ~Lz4HadoopCodec() override { LZ4F_freeDecompressionContext(frame_context_); }

  CompressionCodec codec() const override { return CompressionCodec::kLz4; }

  void DecompressImpl(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    if (TryHadoop(input, output)) return;
    if (input.size() >= 4 && LoadLe32(input.data()) == kLz4FrameMagic) {
      DecompressFrame(input, output);
      return;
    }
    DecompressRawExact(codec(), input, output);
  }

  size_t MaxCompressedSize(size_t input_size) const override {
    size_t block =
        FitsInt(input_size) ? LZ4_compressBound(static_cast<int>(input_size)) : input_size;
    return block + kHadoopPrefixSize;
  }

  // One Hadoop block holding the whole page, as parquet-mr and Arrow write it.
  size_t Compress(std::span<const uint8_t> input, std::span<uint8_t> output) override {
    size_t n = CompressBlock(input, output.subspan(kHadoopPrefixSize));
    StoreBe32(static_cast<uint32_t>(input.size()), output.data());
    StoreBe32(static_cast<uint32_t>(n), output.data() + 4);
    return n + kHadoopPrefixSize;
  }

 private:
  static uint32_t LoadLe32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  }

  // True when the input is a complete, valid Hadoop-framed stream filling `output` exactly.
  static bool TryHadoop(std::span<const uint8_t> input, std::span<uint8_t> output) {
    size_t in = 0;
    size_t out = 0;
    if (input.size() < kHadoopPrefixSize) return false;
    while (input.size() - in >= kHadoopPrefixSize) {
      uint32_t decompressed = LoadBe32(input.data() + in);
      uint32_t compressed = LoadBe32(input.data() + in + 4);
      in += kHadoopPrefixSize;
      if (compressed > input.size() - in || decompressed > output.size() - out) return false;
      int n = DecompressBlock(input.subspan(in, compressed), output.subspan(out, decompressed));
      if (n < 0 || static_cast<uint32_t>(n) != decompressed) return false;
      in += compressed;
      out += decompressed;
    }
    return in == input.size() && out == output.size();
  }

  void DecompressFrame(std::span<const uint8_t> input, std::span<uint8_t> output) {
    if (frame_context_ == nullptr) {
      if (LZ4F_isError(LZ4F_createDecompressionContext(&frame_context_, LZ4F_VERSION))) {
        throw ResourceExhausted("lz4 could not create a frame context");
      }
    } else {
      LZ4F_resetDecompressionContext(frame_context_);
    }
    size_t in = 0;
    size_t out = 0;
    while (true) {
      size_t in_size = input.size() - in;
      size_t out_size = output.size() - out;
      size_t hint = LZ4F_decompress(frame_context_, output.data() + out, &out_size,
                                    input.data() + in, &in_size, nullptr);
      if (LZ4F_isError(hint)) {
        throw CodecError(codec(), "corrupt LZ4 frame: {}", LZ4F_getErrorName(hint));
      }
      in += in_size;
      out += out_size;
      if (hint == 0) break;  // the frame is complete
      if (in_size == 0 && out_size == 0) {
        throw CodecError(codec(), "the LZ4 frame is truncated or larger than {} bytes",
                         output.size());
      }
    }
    if (in != input.size() || out != output.size()) {
      throw CodecError(codec(), "the LZ4 frame decompresses to {} bytes, the page header says {}",
                       out, output.size());
    }
  }

  LZ4F_dctx* frame_context_ = nullptr;
};

}  // namespace

std::unique_ptr<Codec> MakeLz4RawCodec() { return std::make_unique<Lz4RawCodec>(); }
std::unique_ptr<Codec> MakeLz4HadoopCodec() { return std::make_unique<Lz4HadoopCodec>(); }

}  // namespace sluice::parquet
