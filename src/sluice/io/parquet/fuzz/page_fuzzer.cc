// libFuzzer target for the page-level decoders: the first byte picks a decoder and its
// parameters, the rest is its input. Any sluice::Error is an accepted outcome; a crash, a
// sanitizer report, a hang or a huge allocation is a finding. Build and run with
// scripts/fuzz_parquet.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/parquet/byte_stream_split.h"
#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/delta_binary_packed.h"
#include "sluice/io/parquet/delta_byte_array.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"

namespace {

using namespace sluice::parquet;

// Values are pulled in batches of up to this many, as a column reader would.
constexpr int64_t kBatch = 4096;
// At most this many values are asked for, so a claimed count cannot make the fuzzer slow.
constexpr int64_t kMaxValues = 1 << 20;

template <typename Decode>
void Drain(Decode&& decode) {
  int64_t total = 0;
  while (total < kMaxValues) {
    int64_t n = decode(kBatch);
    if (n == 0) break;
    total += n;
  }
}

void Fuzz(uint8_t selector, std::span<const uint8_t> in) {
  switch (selector % 12) {
    case 0: {
      size_t header_size = 0;
      DecodePageHeader(in, &header_size);
      break;
    }
    case 1: {
      RleBitPackedDecoder decoder(in, (selector >> 4) % 33);
      std::vector<uint32_t> out(kBatch);
      Drain([&](int64_t n) { return decoder.GetBatch(out.data(), n); });
      break;
    }
    case 2: {
      auto decoder = RleBitPackedDecoder::ForDictionaryIndices(in);
      std::vector<uint32_t> out(kBatch);
      Drain([&](int64_t n) { return decoder.GetIndices(out.data(), n, 1u + (selector >> 4)); });
      break;
    }
    case 3: {
      int16_t max_level = static_cast<int16_t>(selector >> 5);
      Encoding encoding = (selector & 0x10) ? Encoding::kBitPacked : Encoding::kRle;
      auto decoder = LevelDecoder::ForDataPageV1(encoding, max_level, 100000, in);
      std::vector<int16_t> out(kBatch);
      Drain([&](int64_t n) { return decoder.Decode(out.data(), n); });
      break;
    }
    case 4: {
      DeltaBinaryPackedDecoder<int32_t> decoder(in);
      std::vector<int32_t> out(kBatch);
      Drain([&](int64_t n) { return decoder.Decode(out.data(), n); });
      DeltaBinaryPackedDecoder<int32_t>::EncodedSize(in);
      break;
    }
    case 5: {
      DeltaBinaryPackedDecoder<int64_t> decoder(in);
      std::vector<int64_t> out(kBatch);
      Drain([&](int64_t n) { return decoder.Decode(out.data(), n); });
      break;
    }
    case 6: {
      DeltaLengthByteArrayDecoder decoder(in);
      ByteArrayBuffer out;
      Drain([&](int64_t n) {
        out.Clear();
        return decoder.Decode(&out, n);
      });
      break;
    }
    case 7: {
      DeltaByteArrayDecoder decoder(in);
      ByteArrayBuffer out;
      Drain([&](int64_t n) {
        out.Clear();
        return decoder.Decode(&out, n);
      });
      break;
    }
    case 8: {
      PlainDecoder decoder(in);
      ByteArrayBuffer out;
      Drain([&](int64_t n) {
        out.Clear();
        return decoder.DecodeByteArrays(&out, n);
      });
      break;
    }
    case 9: {
      ByteStreamSplitDecoder decoder(in, 1 + (selector >> 4));
      std::vector<uint8_t> out(kBatch * 16);
      Drain([&](int64_t n) { return decoder.Decode(out.data(), n); });
      break;
    }
    case 10: {
      // Codecs: two bytes of claimed output size (up to 64 KiB), then the compressed bytes.
      if (in.size() < 2) return;
      size_t size = in[0] | (in[1] << 8);
      static const CompressionCodec kCodecs[] = {
          CompressionCodec::kUncompressed, CompressionCodec::kSnappy, CompressionCodec::kGzip,
          CompressionCodec::kBrotli,       CompressionCodec::kZstd,   CompressionCodec::kLz4Raw,
          CompressionCodec::kLz4};
      auto codec = Codec::Make(kCodecs[(selector >> 4) % 7]);
      codec->DecompressToVector(in.subspan(2), size);
      break;
    }
    case 11: {
      // A column chunk: walk its pages and decompress those of sane size.
      auto codec = Codec::Make((selector & 0x10) ? CompressionCodec::kSnappy
                                                 : CompressionCodec::kUncompressed);
      PageIterator pages(in, 4, 1 << 30);
      RawPage page;
      std::vector<uint8_t> out;
      while (pages.Next(&page)) {
        if (page.header.uncompressed_page_size > (1 << 20)) continue;
        DecompressPage(page.header, page.data, *codec, &out);
      }
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    Fuzz(data[0], std::span<const uint8_t>(data + 1, size - 1));
  } catch (const sluice::Error&) {
  }
  return 0;
}
