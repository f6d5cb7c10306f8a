// Round trips and malformed-input checks for the value encodings: bit packing, the RLE hybrid,
// levels, PLAIN, DELTA_BINARY_PACKED, DELTA_(LENGTH_)BYTE_ARRAY, BYTE_STREAM_SPLIT and CRC-32.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>

#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/io/parquet/byte_stream_split.h"
#include "sluice/io/parquet/crc32.h"
#include "sluice/io/parquet/delta_binary_packed.h"
#include "sluice/io/parquet/delta_byte_array.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"
#include "sluice/table/bitmap.h"

namespace sluice::parquet {
namespace {

uint64_t Mask(int width) { return width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1; }

template <typename F>
void ExpectInvalid(F&& f) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
  }
}

TEST(BitPackingTest, EveryWidthRoundTrips) {
  std::mt19937_64 rng(1);
  for (int width = 0; width <= 64; ++width) {
    for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{100}}) {
      std::vector<uint64_t> values(count);
      for (uint64_t& v : values) v = rng() & Mask(width);
      if (count > 0) values[0] = Mask(width);  // the extreme value
      std::vector<uint8_t> packed;
      PackBits(values.data(), count, width, &packed);
      ASSERT_EQ(packed.size(), BitPackedSize(count, width));
      std::vector<uint64_t> out(count);
      UnpackBits(packed.data(), width, out.data(), count);
      EXPECT_EQ(out, values) << width << " " << count;
      if (width <= 32) {
        std::vector<uint32_t> out32(count);
        UnpackBits(packed.data(), width, out32.data(), count);
        EXPECT_TRUE(std::equal(out32.begin(), out32.end(), values.begin())) << width;
        // The 32-bit packer writes the same bytes, appended after what is there.
        std::vector<uint32_t> values32(values.begin(), values.end());
        std::vector<uint8_t> packed32 = {0x5A};
        PackBits(values32.data(), count, width, &packed32);
        EXPECT_EQ(packed32[0], 0x5A);
        EXPECT_TRUE(std::equal(packed.begin(), packed.end(), packed32.begin() + 1) &&
                    packed32.size() == packed.size() + 1)
            << width << " " << count;
      }
    }
  }
}

TEST(BitPackingTest, SpecExamples) {
  // Encodings.md: 0..7 at width 3.
  std::vector<uint64_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<uint8_t> lsb;
  PackBits(values.data(), 8, 3, &lsb);
  EXPECT_EQ(lsb, (std::vector<uint8_t>{0b10001000, 0b11000110, 0b11111010}));
  std::vector<uint32_t> values32 = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<uint8_t> msb;
  PackBitsMsbFirst(values32.data(), 8, 3, &msb);
  EXPECT_EQ(msb, (std::vector<uint8_t>{0b00000101, 0b00111001, 0b01110111}));
  std::vector<uint32_t> back(8);
  UnpackBitsMsbFirst(msb.data(), 3, back.data(), 8);
  EXPECT_EQ(back, values32);
}

std::vector<uint32_t> DecodeAll(std::span<const uint8_t> bytes, int width, int64_t count,
                                int64_t batch) {
  RleBitPackedDecoder decoder(bytes, width);
  std::vector<uint32_t> out;
  std::vector<uint32_t> chunk(batch);
  while (static_cast<int64_t>(out.size()) < count) {
    int64_t n = decoder.GetBatch(chunk.data(), std::min<int64_t>(batch, count - out.size()));
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  return out;
}

TEST(RleTest, RandomRunsRoundTripAtEveryWidthAndBatchSize) {
  std::mt19937 rng(2);
  for (int width = 0; width <= 32; ++width) {
    std::vector<uint32_t> values;
    while (values.size() < 3000) {
      uint32_t v = static_cast<uint32_t>(rng() & Mask(width));
      size_t run = rng() % 3 == 0 ? 1 + rng() % 40 : 1;
      values.insert(values.end(), run, v);
    }
    std::vector<uint8_t> bytes;
    RleBitPackedEncode(values, width, &bytes);
    for (int64_t batch : {1, 3, 8, 13, 1024}) {
      EXPECT_EQ(DecodeAll(bytes, width, values.size(), batch), values) << width << " " << batch;
    }
  }
}

TEST(RleTest, EdgeCases) {
  std::vector<uint8_t> bytes;
  RleBitPackedEncode({}, 5, &bytes);
  EXPECT_TRUE(bytes.empty());
  EXPECT_TRUE(DecodeAll(bytes, 5, 10, 4).empty());
  // A long run is one repeated run: header + one byte.
  std::vector<uint32_t> run(1 << 20, 3);
  bytes.clear();
  RleBitPackedEncode(run, 2, &bytes);
  EXPECT_LE(bytes.size(), 5u);
  EXPECT_EQ(DecodeAll(bytes, 2, run.size(), 100000), run);
  // Dictionary indices: the bit width byte first, and the range check.
  std::vector<uint32_t> indices = {0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1};
  std::vector<uint8_t> dict_bytes = {2};
  RleBitPackedEncode(indices, 2, &dict_bytes);
  auto decoder = RleBitPackedDecoder::ForDictionaryIndices(dict_bytes);
  std::vector<uint32_t> out(indices.size());
  EXPECT_EQ(decoder.GetIndices(out.data(), out.size(), 4), static_cast<int64_t>(out.size()));
  EXPECT_EQ(out, indices);
  ExpectInvalid([&] {
    auto d = RleBitPackedDecoder::ForDictionaryIndices(dict_bytes);
    d.GetIndices(out.data(), out.size(), 3);
  });
  ExpectInvalid([] { RleBitPackedDecoder::ForDictionaryIndices({}); });
  // One index past a dictionary of 20 (width 5), in a bit-packed group or a repeated run and at
  // any position, is found.
  for (size_t at : {0, 5, 10, 37, 45}) {
    std::vector<uint32_t> values(50);
    for (size_t i = 0; i < values.size(); ++i) values[i] = i < 40 ? i % 20 : 7;
    values[at] = at < 40 ? 25 : values[at];
    if (at >= 40) std::fill(values.begin() + 40, values.end(), 20);
    std::vector<uint8_t> encoded = {5};
    RleBitPackedEncode(values, 5, &encoded);
    ExpectInvalid([&] {
      auto d = RleBitPackedDecoder::ForDictionaryIndices(encoded);
      std::vector<uint32_t> got(values.size());
      d.GetIndices(got.data(), static_cast<int64_t>(got.size()), 20);
    });
  }
  // Booleans: a 4-byte length, then runs at width 1.
  std::vector<uint32_t> bools = {1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  std::vector<uint8_t> runs;
  RleBitPackedEncode(bools, 1, &runs);
  std::vector<uint8_t> prefixed;
  AppendLengthPrefixed(runs, &prefixed);
  auto bool_decoder = RleBitPackedDecoder::ForBooleans(prefixed);
  std::vector<uint32_t> bools_out(bools.size());
  EXPECT_EQ(bool_decoder.GetBatch(bools_out.data(), bools.size()),
            static_cast<int64_t>(bools.size()));
  EXPECT_EQ(bools_out, bools);
  prefixed[0] += 1;
  ExpectInvalid([&] { RleBitPackedDecoder::ForBooleans(prefixed); });
  ExpectInvalid([] {
    std::vector<uint8_t> b = {33};
    RleBitPackedDecoder::ForDictionaryIndices(b);
  });
}

TEST(RleTest, MalformedInput) {
  // A repeated value wider than the bit width.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x10, 0xff};
    DecodeAll(b, 3, 8, 8);
  });
  // A truncated repeated value.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x10, 0xff};
    DecodeAll(b, 16, 8, 8);
  });
  // An overlong run header varint.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    DecodeAll(b, 1, 8, 8);
  });
  // A bit-packed run cut short yields the whole values present, then stops.
  std::vector<uint8_t> cut = {0x03, 0xff};  // one group of 8 at width 3 needs 3 bytes
  EXPECT_EQ(DecodeAll(cut, 3, 8, 8).size(), 2u);
  // Random bytes never crash, hang or overrun.
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> b(rng() % 32);
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    try {
      DecodeAll(b, rng() % 33, 1000, 1 + rng() % 50);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData);
    }
  }
}

TEST(LevelsTest, V1AndV2RoundTrip) {
  std::mt19937 rng(4);
  for (int16_t max_level : {0, 1, 2, 7, 100}) {
    std::vector<int16_t> levels(777);
    for (int16_t& l : levels) l = static_cast<int16_t>(rng() % (max_level + 1));
    std::vector<uint8_t> rle;
    EncodeLevelsRle(levels, max_level, &rle);
    std::vector<uint8_t> v1;
    AppendLengthPrefixed(rle, &v1);
    v1.push_back(0xEE);  // the values follow the levels
    auto decoder = LevelDecoder::ForDataPageV1(Encoding::kRle, max_level, levels.size(), v1);
    std::vector<int16_t> out(levels.size());
    EXPECT_EQ(decoder.Decode(out.data(), out.size()), static_cast<int64_t>(out.size()));
    EXPECT_EQ(out, levels);
    EXPECT_EQ(decoder.encoded_size(), max_level == 0 ? 0 : v1.size() - 1);

    auto v2 = LevelDecoder::ForDataPageV2(max_level, rle);
    std::fill(out.begin(), out.end(), -1);
    EXPECT_EQ(v2.Decode(out.data(), out.size()), static_cast<int64_t>(out.size()));
    EXPECT_EQ(out, levels);

    std::vector<uint8_t> packed;
    EncodeLevelsBitPacked(levels, max_level, &packed);
    auto legacy =
        LevelDecoder::ForDataPageV1(Encoding::kBitPacked, max_level, levels.size(), packed);
    std::fill(out.begin(), out.end(), -1);
    for (size_t done = 0; done < out.size();) {
      done += legacy.Decode(out.data() + done, std::min<size_t>(5, out.size() - done));
    }
    EXPECT_EQ(out, levels);
    EXPECT_EQ(legacy.encoded_size(), packed.size());
  }
}

// Validity bits equal the levels that are 1, however the batches cut the RLE runs and
// bit-packed groups, in every encoding.
TEST(LevelsTest, ValidityBitsMatchTheLevels) {
  std::mt19937 rng(9);
  std::vector<int16_t> levels;
  for (int run = 0; run < 60; ++run) {
    const bool repeated = rng() % 2 == 0;
    const int16_t value = static_cast<int16_t>(rng() % 2);
    const size_t length = 1 + rng() % 40;
    for (size_t i = 0; i < length; ++i) {
      levels.push_back(repeated ? value : static_cast<int16_t>(rng() % 2));
    }
  }
  std::vector<uint8_t> rle;
  EncodeLevelsRle(levels, 1, &rle);
  std::vector<uint8_t> packed;
  EncodeLevelsBitPacked(levels, 1, &packed);
  for (size_t batch : {1, 3, 8, 13, 64, 1000}) {
    auto v2 = LevelDecoder::ForDataPageV2(1, rle);
    auto legacy = LevelDecoder::ForDataPageV1(Encoding::kBitPacked, 1, levels.size(), packed);
    for (LevelDecoder* decoder : {&v2, &legacy}) {
      std::vector<int16_t> got;
      std::vector<uint8_t> bits(BitmapBytes(static_cast<int64_t>(batch)), 0xAA);
      while (got.size() < levels.size()) {
        const int64_t want = static_cast<int64_t>(std::min(batch, levels.size() - got.size()));
        const int64_t n = decoder->DecodeValidity(bits.data(), want);
        ASSERT_GT(n, 0);
        for (int64_t i = 0; i < n; ++i) got.push_back(GetBit(bits.data(), i) ? 1 : 0);
      }
      EXPECT_EQ(got, levels) << "batch " << batch;
    }
  }
}

TEST(LevelsTest, MalformedLevels) {
  std::vector<int16_t> levels = {0, 1, 3, 2};
  std::vector<uint8_t> rle;
  EncodeLevelsRle(levels, 3, &rle);
  // Decoded with a smaller max level, 3 is out of range.
  ExpectInvalid([&] {
    auto d = LevelDecoder::ForDataPageV2(2, rle);
    std::vector<int16_t> out(4);
    d.Decode(out.data(), 4);
  });
  // A length prefix that passes the page.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0xff, 0, 0, 0, 1};
    LevelDecoder::ForDataPageV1(Encoding::kRle, 1, 10, b);
  });
  ExpectInvalid([] {
    std::vector<uint8_t> b = {1};
    LevelDecoder::ForDataPageV1(Encoding::kBitPacked, 1, 10000, b);
  });
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0, 0, 0, 0};
    LevelDecoder::ForDataPageV1(Encoding::kPlain, 1, 1, b);
  });
}

TEST(PlainTest, BooleansPackLowBitFirstAndAnyNonzeroByteIsTrue) {
  std::mt19937 random(5);
  for (size_t n = 0; n <= 40; ++n) {
    std::vector<uint8_t> values(n);
    for (uint8_t& v : values) v = random() % 2 == 0 ? 0 : static_cast<uint8_t>(1 + random() % 255);
    std::vector<uint8_t> bytes = {0xaa};  // what was there before stays
    PlainEncodeBooleans(values, &bytes);
    ASSERT_EQ(bytes.size(), 1 + (n + 7) / 8);
    EXPECT_EQ(bytes[0], 0xaa);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ((bytes[1 + i / 8] >> (i % 8)) & 1, values[i] != 0 ? 1 : 0) << n << " " << i;
    }
    for (size_t i = n; i < (n + 7) / 8 * 8; ++i) EXPECT_EQ((bytes[1 + i / 8] >> (i % 8)) & 1, 0);
  }
}

TEST(PlainTest, EveryPhysicalTypeRoundTrips) {
  std::vector<uint8_t> bools = {1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1};
  std::vector<int32_t> i32 = {0, -1, std::numeric_limits<int32_t>::min(), 7};
  std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::max(), -2};
  std::vector<Int96> i96 = {{{1, 2, 3}}, {{0xffffffff, 0, 0x80000000}}};
  std::vector<float> f32 = {1.5f, -0.0f, std::numeric_limits<float>::infinity()};
  std::vector<double> f64 = {std::numeric_limits<double>::quiet_NaN(), 1e300};
  ByteArrayBuffer strings;
  for (const char* s : {"", "a", "hello world", ""}) strings.Append(s);
  std::vector<uint8_t> bytes;
  PlainEncodeBooleans(bools, &bytes);
  PlainDecoder d1(bytes);
  std::vector<uint8_t> bools_out(16);
  EXPECT_EQ(d1.DecodeBooleans(bools_out.data(), 5), 5);
  // The padding bits decode too: 16 bits in all; the caller knows the real count.
  EXPECT_EQ(d1.DecodeBooleans(bools_out.data() + 5, 11), 11);
  EXPECT_EQ(d1.DecodeBooleans(bools_out.data(), 1), 0);
  bools_out.resize(bools.size());
  EXPECT_EQ(bools_out, bools);

  auto check_fixed = [](const auto& values) {
    using V = typename std::decay_t<decltype(values)>::value_type;
    std::vector<uint8_t> encoded;
    PlainEncodeFixed<V>(values, &encoded);
    EXPECT_EQ(encoded.size(), values.size() * sizeof(V));
    PlainDecoder decoder(encoded);
    std::vector<V> out(values.size() + 1);
    EXPECT_EQ(decoder.DecodeFixed(out.data(), out.size()), static_cast<int64_t>(values.size()));
    EXPECT_EQ(std::memcmp(out.data(), values.data(), values.size() * sizeof(V)), 0);
  };
  check_fixed(i32);
  check_fixed(i64);
  check_fixed(i96);
  check_fixed(f32);
  check_fixed(f64);

  bytes.clear();
  PlainEncodeByteArrays(strings, &bytes);
  PlainDecoder d2(bytes);
  ByteArrayBuffer out;
  EXPECT_EQ(d2.DecodeByteArrays(&out, 2), 2);
  EXPECT_EQ(d2.DecodeByteArrays(&out, 10), 2);
  EXPECT_EQ(out.offsets, strings.offsets);
  EXPECT_EQ(out.data, strings.data);

  std::vector<uint8_t> flba = {1, 2, 3, 4, 5, 6, 7};
  PlainDecoder d3(flba);
  std::vector<uint8_t> flba_out(6);
  EXPECT_EQ(d3.DecodeFixedLenByteArrays(3, flba_out.data(), 5), 2);
  EXPECT_EQ(d3.remaining_bytes(), 1u);
}

TEST(PlainTest, ByteArrayLengthPastTheEnd) {
  std::vector<uint8_t> bytes = {5, 0, 0, 0, 'a', 'b'};
  ExpectInvalid([&] {
    PlainDecoder d(bytes);
    ByteArrayBuffer out;
    d.DecodeByteArrays(&out, 1);
  });
  std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff};
  ExpectInvalid([&] {
    PlainDecoder d(huge);
    ByteArrayBuffer out;
    d.DecodeByteArrays(&out, 1);
  });
}

template <typename T>
std::vector<T> DeltaRoundTrip(const std::vector<T>& values, int64_t batch) {
  std::vector<uint8_t> bytes;
  DeltaBinaryPackedEncode<T>(values, &bytes);
  EXPECT_EQ(DeltaBinaryPackedDecoder<T>::EncodedSize(bytes), bytes.size());
  bytes.push_back(0x99);  // whatever follows must not matter
  DeltaBinaryPackedDecoder<T> decoder(bytes);
  EXPECT_EQ(decoder.total_values(), static_cast<int64_t>(values.size()));
  std::vector<T> out(values.size() + batch);
  size_t done = 0;
  while (true) {
    int64_t n = decoder.Decode(out.data() + done, batch);
    if (n == 0) break;
    done += n;
  }
  out.resize(done);
  return out;
}

template <typename T>
void DeltaCases() {
  using L = std::numeric_limits<T>;
  std::mt19937_64 rng(5);
  std::vector<std::vector<T>> cases = {
      {},
      {42},
      {L::min()},
      {L::max(), L::min(), L::max(), 0, -1, L::min()},
      {7, 5, 3, 1, 2, 3, 4, 5},  // Encodings.md example 2
  };
  std::vector<T> descending(1000);
  for (size_t i = 0; i < descending.size(); ++i) descending[i] = static_cast<T>(1000 - 3 * i);
  cases.push_back(descending);
  for (int width = 0; width <= static_cast<int>(sizeof(T) * 8); width += 3) {
    std::vector<T> values(300);
    for (T& v : values) v = static_cast<T>(rng() & Mask(width));
    cases.push_back(values);
  }
  std::vector<T> random(5000);
  for (T& v : random) v = static_cast<T>(rng());
  cases.push_back(random);
  for (const std::vector<T>& values : cases) {
    for (int64_t batch : {1, 31, 128, 4096}) {
      EXPECT_EQ(DeltaRoundTrip(values, batch), values) << values.size() << " " << batch;
    }
  }
}

TEST(DeltaBinaryPackedTest, RoundTripsInt32) { DeltaCases<int32_t>(); }
TEST(DeltaBinaryPackedTest, RoundTripsInt64) { DeltaCases<int64_t>(); }

TEST(DeltaBinaryPackedTest, SpecExample) {
  // Encodings.md example 1 with a (valid) block size of 128: 1, 2, 3, 4, 5.
  std::vector<uint8_t> bytes = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
  DeltaBinaryPackedDecoder<int32_t> decoder(bytes);
  std::vector<int32_t> out(5);
  EXPECT_EQ(decoder.Decode(out.data(), 5), 5);
  EXPECT_EQ(out, (std::vector<int32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(DeltaBinaryPackedDecoder<int32_t>::EncodedSize(bytes), bytes.size());
}

TEST(DeltaBinaryPackedTest, MalformedHeadersAndBlocks) {
  auto decode = [](std::vector<uint8_t> bytes) {
    DeltaBinaryPackedDecoder<int32_t> decoder(bytes);
    std::vector<int32_t> out(1000);
    decoder.Decode(out.data(), out.size());
  };
  ExpectInvalid([&] { decode({0x00, 0x04, 0x05, 0x02}); });        // block size 0
  ExpectInvalid([&] { decode({0x81, 0x01, 0x04, 0x05, 0x02}); });  // block size 129
  ExpectInvalid([&] { decode({0x80, 0x01, 0x03, 0x05, 0x02}); });  // 3 miniblocks
  ExpectInvalid([&] { decode({0x80, 0x01, 0x08, 0x05, 0x02}); });  // miniblocks of 16
  ExpectInvalid([&] { decode({0x80, 0x01, 0x04, 0x05}); });        // no first value
  ExpectInvalid([&] { decode({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 33, 0, 0, 0}); });    // width 33
  ExpectInvalid([&] { decode({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 8, 0, 0, 0, 1}); });  // short
  ExpectInvalid([&] { decode({0x80, 0x01, 0x04, 0x05, 0x02, 0x02}); });  // no bit widths
  // A count of 2^31 values in a few bytes fails as soon as the data ends, without allocating.
  ExpectInvalid([&] { decode({0x80, 0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00}); });
  std::mt19937 rng(6);
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> b(rng() % 40);
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() > 3 && trial % 2 == 0) {
      b[0] = 0x80;
      b[1] = 0x01;
      b[2] = 0x04;
    }
    try {
      decode(b);
      DeltaBinaryPackedDecoder<int64_t>::EncodedSize(b);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData);
    }
  }
}

ByteArrayBuffer RandomStrings(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  ByteArrayBuffer values;
  std::string previous;
  for (size_t i = 0; i < count; ++i) {
    // Share prefixes often, as sorted keys do.
    std::string value = previous.substr(0, rng() % (previous.size() + 1));
    size_t extra = rng() % 3 == 0 ? 0 : rng() % 20;
    for (size_t j = 0; j < extra; ++j) value += static_cast<char>(rng());
    values.Append(value);
    previous = value;
  }
  return values;
}

TEST(DeltaByteArrayTest, RoundTrips) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{5}, size_t{3000}}) {
    ByteArrayBuffer values = RandomStrings(count, static_cast<uint32_t>(count));
    std::vector<uint8_t> dlba;
    DeltaLengthByteArrayEncode(values, &dlba);
    DeltaLengthByteArrayDecoder d1(dlba);
    ByteArrayBuffer out1;
    while (d1.Decode(&out1, 7) > 0) {
    }
    EXPECT_EQ(out1.offsets, values.offsets);
    EXPECT_EQ(out1.data, values.data);
    EXPECT_EQ(d1.bytes_consumed(), dlba.size());

    std::vector<uint8_t> dba;
    DeltaByteArrayEncode(values, &dba);
    DeltaByteArrayDecoder d2(dba);
    ByteArrayBuffer out2;
    while (d2.Decode(&out2, 1000) > 0) {
    }
    EXPECT_EQ(out2.offsets, values.offsets);
    EXPECT_EQ(out2.data, values.data);
  }
}

TEST(DeltaByteArrayTest, SpecExampleAndMalformedInput) {
  ByteArrayBuffer values;
  for (const char* s : {"axis", "axle", "babble", "babyhood"}) values.Append(s);
  std::vector<uint8_t> bytes;
  DeltaByteArrayEncode(values, &bytes);
  std::string tail(bytes.end() - 17, bytes.end());
  EXPECT_EQ(tail, "axislebabbleyhood");

  auto encode_lengths = [](std::vector<int32_t> lengths) {
    std::vector<uint8_t> out;
    DeltaBinaryPackedEncode<int32_t>(lengths, &out);
    return out;
  };
  // A negative length, and lengths past the data.
  ExpectInvalid([&] {
    std::vector<uint8_t> b = encode_lengths({2, -1});
    b.insert(b.end(), {'a', 'b', 'c'});
    DeltaLengthByteArrayDecoder d(b);
    ByteArrayBuffer out;
    d.Decode(&out, 2);
  });
  ExpectInvalid([&] {
    std::vector<uint8_t> b = encode_lengths({2, 5});
    b.insert(b.end(), {'a', 'b', 'c'});
    DeltaLengthByteArrayDecoder d(b);
    ByteArrayBuffer out;
    d.Decode(&out, 2);
  });
  // A prefix longer than the previous value.
  ExpectInvalid([&] {
    std::vector<uint8_t> b = encode_lengths({0, 3});
    std::vector<uint8_t> suffixes = encode_lengths({1, 1});
    b.insert(b.end(), suffixes.begin(), suffixes.end());
    b.insert(b.end(), {'a', 'b'});
    DeltaByteArrayDecoder d(b);
    ByteArrayBuffer out;
    d.Decode(&out, 2);
  });
  // Prefix and suffix counts that disagree.
  ExpectInvalid([&] {
    std::vector<uint8_t> b = encode_lengths({0, 0, 0});
    std::vector<uint8_t> suffixes = encode_lengths({1, 1});
    b.insert(b.end(), suffixes.begin(), suffixes.end());
    b.insert(b.end(), {'a', 'b'});
    DeltaByteArrayDecoder d(b);
  });
}

TEST(ByteStreamSplitTest, RoundTripsEveryWidth) {
  std::mt19937 rng(7);
  for (int width : {1, 2, 3, 4, 8, 16}) {
    for (size_t count : {size_t{0}, size_t{1}, size_t{333}}) {
      std::vector<uint8_t> values(count * width);
      for (uint8_t& v : values) v = static_cast<uint8_t>(rng());
      std::vector<uint8_t> encoded;
      ByteStreamSplitEncode(values, width, &encoded);
      ByteStreamSplitDecoder decoder(encoded, width);
      EXPECT_EQ(decoder.num_values(), static_cast<int64_t>(count));
      std::vector<uint8_t> out(values.size());
      size_t done = 0;
      while (int64_t n = decoder.Decode(out.data() + done * width, 10)) done += n;
      EXPECT_EQ(out, values) << width;
    }
  }
  // The spec's example.
  std::vector<uint8_t> floats = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11,
                                 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
  std::vector<uint8_t> encoded;
  ByteStreamSplitEncode(floats, 4, &encoded);
  EXPECT_EQ(encoded, (std::vector<uint8_t>{0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5,
                                           0xDD, 0x33, 0xD6}));
  ExpectInvalid([] {
    std::vector<uint8_t> b(7);
    ByteStreamSplitDecoder(b, 4);
  });
}

TEST(Crc32Test, KnownValueAndPageVerification) {
  const char* text = "123456789";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text), 9);
  EXPECT_EQ(Crc32(bytes), 0xCBF43926u);  // the standard CRC-32 check value
  EXPECT_EQ(Crc32(bytes.subspan(4), Crc32(bytes.subspan(0, 4))), 0xCBF43926u);
  PageHeader header;
  EXPECT_NO_THROW(VerifyPageCrc(header, bytes));  // no CRC recorded
  header.crc = static_cast<int32_t>(0xCBF43926u);
  EXPECT_NO_THROW(VerifyPageCrc(header, bytes));
  header.crc = 1;
  ExpectInvalid([&] { VerifyPageCrc(header, bytes); });
}

}  // namespace
}  // namespace sluice::parquet
