#include "sluice/io/parquet/snappy_decompress.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

// Inputs shaped like Parquet pages: runs, repeated short patterns at every offset, counters,
// length-prefixed strings and noise, so every tag kind and copy offset class shows up.
std::string Sample(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string data;
  while (data.size() < size) {
    switch (rng() % 6) {
      case 0:
        data.append(rng() % 200, static_cast<char>(rng()));
        break;
      case 1: {
        std::string pattern(1 + rng() % 17, ' ');
        for (char& c : pattern) c = static_cast<char>('a' + rng() % 3);
        for (int n = static_cast<int>(rng() % 40); n > 0; --n) data += pattern;
        break;
      }
      case 2:
        for (int n = static_cast<int>(rng() % 100); n > 0; --n) {
          uint64_t v = data.size() * 7;
          data.append(reinterpret_cast<const char*>(&v), 8);
        }
        break;
      case 3:
        for (int n = static_cast<int>(rng() % 50); n > 0; --n) {
          uint32_t length = 32;
          data.append(reinterpret_cast<const char*>(&length), 4);
          for (int i = 0; i < 32; ++i) data += "0123456789abcdef"[rng() % 16];
        }
        break;
      case 4:
        for (int n = static_cast<int>(rng() % 3000); n > 0; --n) data += static_cast<char>(rng());
        break;
      default:
        if (!data.empty()) {
          size_t from = rng() % data.size();
          data += data.substr(from, rng() % 5000);
        }
    }
  }
  data.resize(size);
  return data;
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// libsnappy's verdict on `input`: the decompressed bytes, or nothing when it refuses them.
bool ReferenceDecompress(const std::vector<uint8_t>& input, std::string* out) {
  return snappy::Uncompress(reinterpret_cast<const char*>(input.data()), input.size(), out);
}

TEST(SnappyDecompressTest, MatchesLibsnappyOnEveryShape) {
  for (uint32_t seed = 0; seed < 300; ++seed) {
    size_t size = seed < 100 ? seed : (seed * 7919u) % 300000;
    std::string data = Sample(size, seed);
    std::string compressed;
    snappy::Compress(data.data(), data.size(), &compressed);
    std::vector<uint8_t> out(size);
    SnappyDecompress(Bytes(compressed), out);
    ASSERT_EQ(std::string(out.begin(), out.end()), data) << seed;
  }
}

TEST(SnappyDecompressTest, LongLiteralsAndFarCopies) {
  // Literals with 1..4 length bytes and copies with 4-byte offsets, written by hand.
  for (size_t literal : {size_t{61}, size_t{300}, size_t{70000}, size_t{17000000}}) {
    std::string data(literal, 'x');
    for (size_t i = 0; i < literal; ++i) data[i] = static_cast<char>(i * 131 + i / 7);
    std::string stream;
    uint32_t total = static_cast<uint32_t>(literal + 64);
    for (uint32_t v = total;; v >>= 7) {
      if (v < 0x80) {
        stream += static_cast<char>(v);
        break;
      }
      stream += static_cast<char>(v | 0x80);
    }
    uint32_t length = static_cast<uint32_t>(literal - 1);
    int extra = length < 256 ? 1 : length < 65536 ? 2 : length < (1u << 24) ? 3 : 4;
    stream += static_cast<char>((59 + extra) << 2);
    stream.append(reinterpret_cast<const char*>(&length), static_cast<size_t>(extra));
    stream += data;
    // A 64-byte copy from the start, with a 4-byte offset.
    stream += static_cast<char>((63 << 2) | 3);
    uint32_t offset = static_cast<uint32_t>(literal);
    stream.append(reinterpret_cast<const char*>(&offset), 4);
    std::string expected = data;
    for (size_t i = 0; i < 64; ++i) expected += expected[i];
    std::vector<uint8_t> out(expected.size());
    SnappyDecompress(Bytes(stream), out);
    EXPECT_EQ(std::string(out.begin(), out.end()), expected) << literal;
  }
}

TEST(SnappyDecompressTest, DamagedStreamsFailCleanlyWhereLibsnappyRefuses) {
  std::mt19937 rng(7);
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string data = Sample(1 + rng() % 4000, static_cast<uint32_t>(round));
    std::string compressed;
    snappy::Compress(data.data(), data.size(), &compressed);
    std::vector<uint8_t> bad = Bytes(compressed);
    switch (rng() % 3) {
      case 0:
        bad.resize(rng() % bad.size());
        break;
      case 1:
        for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) {
          bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
        }
        break;
      default:
        bad.push_back(static_cast<uint8_t>(rng()));
    }
    std::string expected;
    bool reference_ok = ReferenceDecompress(bad, &expected);
    size_t claimed = 0;
    bool has_length = snappy::GetUncompressedLength(reinterpret_cast<const char*>(bad.data()),
                                                    bad.size(), &claimed);
    // Decode into the size the preamble claims (what a page header would say).
    std::vector<uint8_t> out(has_length && claimed < (1u << 24) ? claimed : data.size());
    try {
      SnappyDecompress(bad, out);
      ASSERT_TRUE(reference_ok) << round;
      ASSERT_EQ(std::string(out.begin(), out.end()), expected) << round;
    } catch (const Error& error) {
      ASSERT_EQ(error.kind(), ErrorKind::kInvalidData);
      ASSERT_FALSE(reference_ok && expected.size() == out.size()) << round;
      ++refused;
    }
  }
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace sluice::parquet
