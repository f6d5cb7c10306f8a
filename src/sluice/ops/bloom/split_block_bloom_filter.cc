#include "sluice/ops/bloom/split_block_bloom_filter.h"

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "sluice/base/error.h"

namespace sluice {
namespace {

// The block index takes the hash's top 32 bits times z, so z must fit in 32 bits.
constexpr int64_t kMaxBlocks = int64_t{1} << 32;

constexpr size_t kHugePage = size_t{2} << 20;

// Every insert touches a random block, so a filter of many MiB misses the TLB on almost every
// insert with 4 KiB pages; large filters ask for transparent huge pages (2 MiB aligned).
uint32_t* AllocateZeroed(int64_t blocks) {
  const size_t bytes = static_cast<size_t>(blocks) * SplitBlockBloomFilter::kBytesPerBlock;
  if (bytes < kHugePage) {
    void* p = std::calloc(bytes, 1);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<uint32_t*>(p);
  }
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
  ::madvise(p, rounded, MADV_HUGEPAGE);
  std::memset(p, 0, bytes);
  return static_cast<uint32_t*>(p);
}

}  // namespace

void SplitBlockBloomFilter::FreeDeleter::operator()(uint32_t* p) const { std::free(p); }

SplitBlockBloomFilter::SplitBlockBloomFilter(int64_t num_blocks) : num_blocks_(num_blocks) {
  if (num_blocks <= 0 || num_blocks > kMaxBlocks) {
    throw InvalidArgument("a Bloom filter needs 1 to 2^32 blocks, not {}", num_blocks);
  }
  words_.reset(AllocateZeroed(num_blocks));
}

SplitBlockBloomFilter SplitBlockBloomFilter::FromBytes(std::span<const char> bitset) {
  if (bitset.empty() || bitset.size() % kBytesPerBlock != 0) {
    throw InvalidData("a Bloom filter bitset of {} bytes is not a positive multiple of 32",
                      bitset.size());
  }
  SplitBlockBloomFilter filter(static_cast<int64_t>(bitset.size() / kBytesPerBlock));
  std::memcpy(filter.words_.get(), bitset.data(), bitset.size());
  return filter;
}

SplitBlockBloomFilter::SplitBlockBloomFilter(const SplitBlockBloomFilter& other)
    : num_blocks_(other.num_blocks_) {
  if (num_blocks_ > 0) {
    words_.reset(AllocateZeroed(num_blocks_));
    std::memcpy(words_.get(), other.words_.get(), num_bytes());
  }
}

SplitBlockBloomFilter& SplitBlockBloomFilter::operator=(const SplitBlockBloomFilter& other) {
  if (this != &other) *this = SplitBlockBloomFilter(other);
  return *this;
}

double SplitBlockBloomFilter::ExpectedFpr(int64_t num_blocks, int64_t items) {
  if (items <= 0) return 0.0;
  const double lambda = static_cast<double>(items) / static_cast<double>(num_blocks);
  // Sum over block loads k of P(load = k) * (1 - (31/32)^k)^8, far enough into the tail.
  const int64_t last = static_cast<int64_t>(lambda + 12 * std::sqrt(lambda) + 30);
  double fpr = 0.0;
  for (int64_t k = 1; k <= last; ++k) {
    const double kd = static_cast<double>(k);
    const double pmf = std::exp(-lambda + kd * std::log(lambda) - std::lgamma(kd + 1));
    fpr += pmf * std::pow(1.0 - std::pow(31.0 / 32.0, kd), 8);
  }
  return fpr;
}

int64_t SplitBlockBloomFilter::BlocksFor(int64_t items, double fpr) {
  if (!(fpr > 0.0 && fpr < 1.0)) {
    throw InvalidArgument("the false-positive rate must be between 0 and 1, not {}", fpr);
  }
  if (items < 0) throw InvalidArgument("the item count must not be negative, not {}", items);
  if (items == 0) return 1;
  // The spec's estimate as a start, then the exact model: grow until it holds, then bisect.
  const double bits = -8.0 * static_cast<double>(items) / std::log(1.0 - std::pow(fpr, 1.0 / 8));
  int64_t hi = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(bits / 256.0)));
  while (ExpectedFpr(hi, items) > fpr) {
    if (hi >= kMaxBlocks) {
      throw InvalidArgument("{} items at a false-positive rate of {} need a filter over 128 GiB",
                            items, fpr);
    }
    hi = std::min(kMaxBlocks, hi * 2);
  }
  int64_t lo = std::max<int64_t>(1, hi / 2);
  if (ExpectedFpr(lo, items) <= fpr) lo = 1;
  // Invariant: hi meets the target; lo either does not or is 1.
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (ExpectedFpr(mid, items) <= fpr ? hi : lo) = mid;
  }
  return ExpectedFpr(lo, items) <= fpr ? lo : hi;
}

void SplitBlockBloomFilter::InsertMany(std::span<const uint64_t> hashes) {
  constexpr size_t kAhead = 16;
  const size_t n = hashes.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(BlockFor(hashes[i + kAhead]), 1, 0);
    Insert(hashes[i]);
  }
}

void SplitBlockBloomFilter::Merge(const SplitBlockBloomFilter& other) {
  if (other.num_blocks_ != num_blocks_) {
    throw InvalidArgument("cannot merge Bloom filters of {} and {} blocks", num_blocks_,
                          other.num_blocks_);
  }
  uint32_t* a = words_.get();
  const uint32_t* b = other.words_.get();
  const size_t words = static_cast<size_t>(num_blocks_) * 8;
  for (size_t i = 0; i < words; ++i) a[i] |= b[i];
}

bool SplitBlockBloomFilter::operator==(const SplitBlockBloomFilter& other) const {
  return num_blocks_ == other.num_blocks_ &&
         (num_blocks_ == 0 || std::memcmp(words_.get(), other.words_.get(), num_bytes()) == 0);
}

}  // namespace sluice
