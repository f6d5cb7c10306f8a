// SplitBlockBloomFilter: the Parquet split-block Bloom filter (parquet-format BloomFilter.md),
// bit for bit. The filter is z blocks of 256 bits, each eight 32-bit words. A value's 64-bit hash
// h (XXH64 of its plain-encoded bytes, seed 0) picks block ((h >> 32) * z) >> 32, and its low 32
// bits x set one bit in each word i: bit (x * SALT[i]) >> 27. A value may be present when all
// eight bits are set; a value that was inserted always is (no false negatives).
//
// Sizing: BlocksFor(n, p) returns the fewest blocks whose expected false-positive rate for n
// distinct values is at most p, computed exactly for this layout (a block's load is Poisson with
// mean n/z; a lookup's false-positive chance is E[(1 - (31/32)^load)^8]), not from the spec's
// approximate bits-per-value formula, which underestimates the rate. Any z is valid per the spec;
// z is not rounded to a power of two, so the measured rate lands on the target.
//
// Merge ORs another filter of the same size into this one: inserting values into several
// partial filters and merging them gives exactly the filter of inserting them all into one,
// whatever the partition.
//
// Ownership: a filter owns its bitset (zeroed; 2 MiB-aligned with transparent huge pages when
// it is large).
// Thread safety: const methods may run concurrently; Insert and Merge need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "sluice/table/xxhash64.h"

namespace sluice {

class SplitBlockBloomFilter {
 public:
  static constexpr size_t kBytesPerBlock = 32;
  static constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                        0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

  SplitBlockBloomFilter() = default;  // no blocks: contains nothing, takes no inserts
  explicit SplitBlockBloomFilter(int64_t num_blocks);
  // Adopts a bitset read from a file (size a positive multiple of 32 bytes).
  static SplitBlockBloomFilter FromBytes(std::span<const char> bitset);

  SplitBlockBloomFilter(SplitBlockBloomFilter&&) noexcept = default;
  SplitBlockBloomFilter& operator=(SplitBlockBloomFilter&&) noexcept = default;
  SplitBlockBloomFilter(const SplitBlockBloomFilter& other);
  SplitBlockBloomFilter& operator=(const SplitBlockBloomFilter& other);

  // InvalidArgument unless 0 < fpr < 1 and items >= 0.
  static int64_t BlocksFor(int64_t items, double fpr);
  static double ExpectedFpr(int64_t num_blocks, int64_t items);
  // The hash of a value's bytes, as the spec defines it.
  static uint64_t Hash(std::string_view bytes) { return XxHash64(bytes.data(), bytes.size(), 0); }

  void Insert(uint64_t hash) {
    uint32_t* block = BlockFor(hash);
    const uint32_t key = static_cast<uint32_t>(hash);
    for (int i = 0; i < 8; ++i) block[i] |= uint32_t{1} << ((key * kSalt[i]) >> 27);
  }
  // Inserts many hashes, prefetching blocks ahead (a large filter misses cache on every insert).
  void InsertMany(std::span<const uint64_t> hashes);
  bool MightContain(uint64_t hash) const {
    const uint32_t* block = const_cast<SplitBlockBloomFilter*>(this)->BlockFor(hash);
    const uint32_t key = static_cast<uint32_t>(hash);
    for (int i = 0; i < 8; ++i) {
      if ((block[i] & (uint32_t{1} << ((key * kSalt[i]) >> 27))) == 0) return false;
    }
    return true;
  }
  // InvalidArgument when the sizes differ.
  void Merge(const SplitBlockBloomFilter& other);

  int64_t num_blocks() const { return num_blocks_; }
  size_t num_bytes() const { return static_cast<size_t>(num_blocks_) * kBytesPerBlock; }
  bool empty() const { return num_blocks_ == 0; }
  // The bitset in the spec's byte order (words little-endian; this is a little-endian host).
  std::span<const char> bytes() const {
    return {reinterpret_cast<const char*>(words_.get()), num_bytes()};
  }
  bool operator==(const SplitBlockBloomFilter& other) const;

 private:
  struct FreeDeleter {
    void operator()(uint32_t* p) const;
  };
  uint32_t* BlockFor(uint64_t hash) {
    const uint64_t index = ((hash >> 32) * static_cast<uint64_t>(num_blocks_)) >> 32;
    return words_.get() + 8 * index;
  }

  int64_t num_blocks_ = 0;
  std::unique_ptr<uint32_t, FreeDeleter> words_;
};

}  // namespace sluice
