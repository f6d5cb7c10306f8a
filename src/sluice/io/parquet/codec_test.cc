#include "sluice/io/parquet/codec.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>

#include <random>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

const CompressionCodec kAll[] = {CompressionCodec::kUncompressed, CompressionCodec::kSnappy,
                                 CompressionCodec::kGzip,         CompressionCodec::kBrotli,
                                 CompressionCodec::kZstd,         CompressionCodec::kLz4Raw,
                                 CompressionCodec::kLz4};

std::vector<uint8_t> Sample(size_t size, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> data(size);
  for (size_t i = 0; i < size; ++i) {
    switch (kind) {
      case 0:
        data[i] = static_cast<uint8_t>(rng());  // incompressible
        break;
      case 1:
        data[i] = static_cast<uint8_t>("abcabcabd"[i % 9]);  // very compressible
        break;
      default:
        data[i] = static_cast<uint8_t>(rng() % 4 + 'a');  // somewhat compressible
    }
  }
  return data;
}

ErrorKind DecompressError(Codec& codec, std::span<const uint8_t> input, size_t size) {
  try {
    codec.DecompressToVector(input, size);
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::kInternal;
}

TEST(CodecTest, RoundTripsEveryCodec) {
  for (CompressionCodec id : kAll) {
    SCOPED_TRACE(CompressionCodecName(id));
    std::unique_ptr<Codec> codec = Codec::Make(id);
    EXPECT_EQ(codec->codec(), id);
    for (size_t size : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}, size_t{1 << 20}}) {
      for (int kind = 0; kind < 3; ++kind) {
        std::vector<uint8_t> data = Sample(size, kind, static_cast<uint32_t>(size + kind));
        std::vector<uint8_t> compressed;
        codec->CompressAppend(data, &compressed);
        EXPECT_LE(compressed.size(), codec->MaxCompressedSize(size));
        // Codec objects are reused across pages.
        EXPECT_EQ(codec->DecompressToVector(compressed, size), data) << size << " " << kind;
        EXPECT_EQ(codec->DecompressToVector(compressed, size), data) << size << " " << kind;
      }
    }
  }
}

TEST(CodecTest, LevelsAreChecked) {
  EXPECT_NO_THROW(Codec::Make(CompressionCodec::kZstd, 19));
  EXPECT_NO_THROW(Codec::Make(CompressionCodec::kGzip, 1));
  EXPECT_THROW(Codec::Make(CompressionCodec::kZstd, 23), Error);
  EXPECT_THROW(Codec::Make(CompressionCodec::kGzip, 0), Error);
  EXPECT_THROW(Codec::Make(CompressionCodec::kSnappy, 1), Error);
  EXPECT_THROW(Codec::Make(CompressionCodec::kLzo), Error);
  EXPECT_THROW(Codec::Make(static_cast<CompressionCodec>(42)), Error);
  EXPECT_FALSE(IsCodecSupported(CompressionCodec::kLzo));
  std::vector<uint8_t> data = Sample(100000, 2, 1);
  std::vector<uint8_t> fast;
  std::vector<uint8_t> small;
  Codec::Make(CompressionCodec::kZstd, 1)->CompressAppend(data, &fast);
  Codec::Make(CompressionCodec::kZstd, 19)->CompressAppend(data, &small);
  EXPECT_LE(small.size(), fast.size());
}

TEST(CodecTest, CorruptDataAndWrongSizesAreInvalidData) {
  std::vector<uint8_t> data = Sample(10000, 2, 3);
  for (CompressionCodec id : kAll) {
    SCOPED_TRACE(CompressionCodecName(id));
    std::unique_ptr<Codec> codec = Codec::Make(id);
    std::vector<uint8_t> compressed;
    codec->CompressAppend(data, &compressed);
    EXPECT_EQ(DecompressError(*codec, compressed, data.size() + 1), ErrorKind::kInvalidData);
    EXPECT_EQ(DecompressError(*codec, compressed, data.size() - 1), ErrorKind::kInvalidData);
    std::vector<uint8_t> truncated(compressed.begin(), compressed.begin() + compressed.size() / 2);
    EXPECT_EQ(DecompressError(*codec, truncated, data.size()), ErrorKind::kInvalidData);
    // Random garbage of every small size, and flipped bytes, never crash.
    std::mt19937 rng(5);
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> garbage = compressed;
      if (trial % 2 == 0) {
        garbage.resize(rng() % 64);
        for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng());
      } else {
        garbage[rng() % garbage.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      }
      try {
        std::vector<uint8_t> out = codec->DecompressToVector(garbage, data.size());
        EXPECT_EQ(out.size(), data.size());
      } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
      }
    }
  }
}

TEST(CodecTest, EmptyPagesNeedNoStream) {
  for (CompressionCodec id : kAll) {
    std::unique_ptr<Codec> codec = Codec::Make(id);
    EXPECT_TRUE(codec->DecompressToVector({}, 0).empty()) << CompressionCodecName(id);
  }
}

std::vector<uint8_t> GzipMember(std::span<const uint8_t> data) {
  std::vector<uint8_t> out;
  Codec::Make(CompressionCodec::kGzip)->CompressAppend(data, &out);
  return out;
}

TEST(CodecTest, GzipConcatenatedMembersAndZlibStreams) {
  std::vector<uint8_t> a = Sample(5000, 2, 1);
  std::vector<uint8_t> b = Sample(3000, 0, 2);
  std::vector<uint8_t> both = GzipMember(a);
  std::vector<uint8_t> second = GzipMember(b);
  both.insert(both.end(), second.begin(), second.end());
  std::vector<uint8_t> expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  std::unique_ptr<Codec> gzip = Codec::Make(CompressionCodec::kGzip);
  EXPECT_EQ(gzip->DecompressToVector(both, expected.size()), expected);
  // Trailing garbage after the last member is refused.
  both.push_back(0x42);
  EXPECT_EQ(DecompressError(*gzip, both, expected.size()), ErrorKind::kInvalidData);
  // A zlib-wrapped stream (some old writers) is read too.
  std::vector<uint8_t> zlib(compressBound(a.size()));
  uLongf zlib_size = zlib.size();
  ASSERT_EQ(compress(zlib.data(), &zlib_size, a.data(), a.size()), Z_OK);
  zlib.resize(zlib_size);
  EXPECT_EQ(gzip->DecompressToVector(zlib, a.size()), a);
}

TEST(CodecTest, LegacyLz4ReadsHadoopFramesRawBlocksAndLz4Frames) {
  std::vector<uint8_t> data = Sample(200000, 2, 9);
  std::unique_ptr<Codec> lz4 = Codec::Make(CompressionCodec::kLz4);
  // Hadoop framing with several blocks, as parquet-mr writes large pages.
  std::vector<uint8_t> hadoop;
  for (size_t start = 0; start < data.size(); start += 65536) {
    size_t n = std::min<size_t>(65536, data.size() - start);
    std::vector<char> block(LZ4_compressBound(n));
    int c = LZ4_compress_default(reinterpret_cast<const char*>(data.data() + start), block.data(),
                                 n, block.size());
    ASSERT_GT(c, 0);
    for (uint32_t v : {static_cast<uint32_t>(n), static_cast<uint32_t>(c)}) {
      for (int shift = 24; shift >= 0; shift -= 8)
        hadoop.push_back(static_cast<uint8_t>(v >> shift));
    }
    hadoop.insert(hadoop.end(), block.begin(), block.begin() + c);
  }
  EXPECT_EQ(lz4->DecompressToVector(hadoop, data.size()), data);
  // A bare block (old Arrow).
  std::vector<uint8_t> raw;
  Codec::Make(CompressionCodec::kLz4Raw)->CompressAppend(data, &raw);
  EXPECT_EQ(lz4->DecompressToVector(raw, data.size()), data);
  // The LZ4 frame format.
  std::vector<uint8_t> frame(LZ4F_compressFrameBound(data.size(), nullptr));
  size_t frame_size =
      LZ4F_compressFrame(frame.data(), frame.size(), data.data(), data.size(), nullptr);
  ASSERT_FALSE(LZ4F_isError(frame_size));
  frame.resize(frame_size);
  EXPECT_EQ(lz4->DecompressToVector(frame, data.size()), data);
  EXPECT_EQ(DecompressError(*lz4, frame, data.size() + 1), ErrorKind::kInvalidData);
}

}  // namespace
}  // namespace sluice::parquet
