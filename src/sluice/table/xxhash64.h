// XxHash64: the 64-bit xxHash function (XXH64) as its public specification defines it: 32-byte
// stripes into four accumulators, then 8-, 4- and 1-byte tails, then the avalanche. Inputs are
// read little-endian, so a value hashes the same on every supported machine. Written here from
// the specification; checked against its published test vectors.
//
// Inline so that hashing a fixed-width value (length known at compile time) folds to a few
// multiplies.
//
// Thread safety: XxHash64 is a pure function.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sluice {

namespace xxhash64_internal {

inline constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
inline constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
inline constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
inline constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
inline constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

inline uint64_t Read64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Read32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t Round(uint64_t acc, uint64_t lane) {
  return std::rotl(acc + lane * kPrime2, 31) * kPrime1;
}
inline uint64_t Merge(uint64_t acc, uint64_t v) { return (acc ^ Round(0, v)) * kPrime1 + kPrime4; }
inline uint64_t Converge(uint64_t v1, uint64_t v2, uint64_t v3, uint64_t v4) {
  uint64_t acc = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
  acc = Merge(acc, v1);
  acc = Merge(acc, v2);
  acc = Merge(acc, v3);
  return Merge(acc, v4);
}
// The 8-, 4- and 1-byte tails after the stripes, then the avalanche.
inline uint64_t Finish(uint64_t acc, const uint8_t* p, const uint8_t* end) {
  for (; end - p >= 8; p += 8) acc = std::rotl(acc ^ Round(0, Read64(p)), 27) * kPrime1 + kPrime4;
  if (end - p >= 4) {
    acc = std::rotl(acc ^ (Read32(p) * kPrime1), 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p) acc = std::rotl(acc ^ (*p * kPrime5), 11) * kPrime1;
  acc ^= acc >> 33;
  acc *= kPrime2;
  acc ^= acc >> 29;
  acc *= kPrime3;
  acc ^= acc >> 32;
  return acc;
}

}  // namespace xxhash64_internal

inline uint64_t XxHash64(const void* data, size_t length, uint64_t seed) {
  using namespace xxhash64_internal;
  const auto* p = static_cast<const uint8_t*>(data);
  const uint8_t* end = p + length;
  uint64_t acc;
  if (length >= 32) {
    uint64_t v1 = seed + kPrime1 + kPrime2;
    uint64_t v2 = seed + kPrime2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kPrime1;
    do {
      v1 = Round(v1, Read64(p));
      v2 = Round(v2, Read64(p + 8));
      v3 = Round(v3, Read64(p + 16));
      v4 = Round(v4, Read64(p + 24));
      p += 32;
    } while (end - p >= 32);
    acc = Converge(v1, v2, v3, v4);
  } else {
    acc = seed + kPrime5;
  }
  return Finish(acc + static_cast<uint64_t>(length), p, end);
}

// XXH64 of data given in pieces (a file written piece by piece): the same value as XxHash64 of
// the concatenation. Thread safety: one thread at a time.
class XxHash64Stream {
 public:
  explicit XxHash64Stream(uint64_t seed = 0)
      : seed_(seed),
        v_{seed + xxhash64_internal::kPrime1 + xxhash64_internal::kPrime2,
           seed + xxhash64_internal::kPrime2, seed, seed - xxhash64_internal::kPrime1} {}

  void Update(const void* data, size_t length) {
    const auto* p = static_cast<const uint8_t*>(data);
    const uint8_t* end = p + length;
    total_ += length;
    if (buffered_ > 0) {
      const size_t take = std::min<size_t>(32 - buffered_, length);
      std::memcpy(buffer_ + buffered_, p, take);
      buffered_ += take;
      p += take;
      if (buffered_ < 32) return;
      Stripe(buffer_);
      buffered_ = 0;
    }
    for (; end - p >= 32; p += 32) Stripe(p);
    buffered_ = static_cast<size_t>(end - p);
    std::memcpy(buffer_, p, buffered_);
  }

  uint64_t Digest() const {
    using namespace xxhash64_internal;
    const uint64_t acc = total_ >= 32 ? Converge(v_[0], v_[1], v_[2], v_[3]) : seed_ + kPrime5;
    return Finish(acc + total_, buffer_, buffer_ + buffered_);
  }

 private:
  void Stripe(const uint8_t* p) {
    using namespace xxhash64_internal;
    for (int i = 0; i < 4; ++i) v_[i] = Round(v_[i], Read64(p + 8 * i));
  }

  uint64_t seed_;
  uint64_t v_[4];
  uint64_t total_ = 0;
  uint8_t buffer_[32] = {};
  size_t buffered_ = 0;
};

}  // namespace sluice
