#include "sluice/ops/bloom/split_block_bloom_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sluice/base/error.h"

namespace sluice {
namespace {

std::string RandomEmail(std::mt19937_64& rng) {
  return "user" + std::to_string(rng()) + "@example.org";
}

TEST(SplitBlockBloomFilter, MaskAndBlockFollowTheSpec) {
  // One insert sets exactly one bit per word of the chosen block, computed by hand.
  SplitBlockBloomFilter filter(10);
  const uint64_t hash = 0x8000000012345678ULL;  // top half 2^31 -> block (2^31 * 10) >> 32 = 5
  filter.Insert(hash);
  const uint32_t* words = reinterpret_cast<const uint32_t*>(filter.bytes().data());
  for (int block = 0; block < 10; ++block) {
    for (int i = 0; i < 8; ++i) {
      const uint32_t want =
          block == 5 ? uint32_t{1} << ((0x12345678u * SplitBlockBloomFilter::kSalt[i]) >> 27) : 0;
      EXPECT_EQ(words[block * 8 + i], want) << block << "/" << i;
    }
  }
  EXPECT_TRUE(filter.MightContain(hash));
}

TEST(SplitBlockBloomFilter, HashIsXxh64SeedZero) {
  // Published XXH64 vectors (seed 0).
  EXPECT_EQ(SplitBlockBloomFilter::Hash(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(SplitBlockBloomFilter::Hash("a"), 0xD24EC4F1A98C6E5BULL);
}

TEST(SplitBlockBloomFilter, NoFalseNegativesAndRateWithinFifteenPercent) {
  for (double target : {0.01, 0.001, 0.05}) {
    const int64_t n = 300'000;
    SplitBlockBloomFilter filter(SplitBlockBloomFilter::BlocksFor(n, target));
    std::mt19937_64 rng(42);
    std::vector<uint64_t> inserted;
    for (int64_t i = 0; i < n; ++i)
      inserted.push_back(SplitBlockBloomFilter::Hash(RandomEmail(rng)));
    filter.InsertMany(inserted);
    for (uint64_t h : inserted) ASSERT_TRUE(filter.MightContain(h));
    // Distinct probes: a different prefix cannot collide with an inserted value.
    const int64_t probes = 3'000'000;
    int64_t positives = 0;
    for (int64_t i = 0; i < probes; ++i) {
      positives += filter.MightContain(
          SplitBlockBloomFilter::Hash("probe" + std::to_string(rng()) + "@example.org"));
    }
    const double rate = static_cast<double>(positives) / static_cast<double>(probes);
    EXPECT_NEAR(rate, target, 0.15 * target)
        << "target " << target << " blocks " << filter.num_blocks();
  }
}

TEST(SplitBlockBloomFilter, SizingIsTheSmallestThatMeetsTheTarget) {
  const int64_t blocks = SplitBlockBloomFilter::BlocksFor(1'000'000, 0.01);
  EXPECT_LE(SplitBlockBloomFilter::ExpectedFpr(blocks, 1'000'000), 0.01);
  EXPECT_GT(SplitBlockBloomFilter::ExpectedFpr(blocks - 1, 1'000'000), 0.01);
  EXPECT_EQ(SplitBlockBloomFilter::BlocksFor(0, 0.01), 1);
  EXPECT_THROW(SplitBlockBloomFilter::BlocksFor(10, 1.5), Error);
  EXPECT_THROW(SplitBlockBloomFilter::BlocksFor(10, 0), Error);
}

TEST(SplitBlockBloomFilter, MergeOfPartialsEqualsOneFilter) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> hashes(100'000);
  for (auto& h : hashes) h = rng();
  SplitBlockBloomFilter whole(777), a(777), b(777);
  whole.InsertMany(hashes);
  for (size_t i = 0; i < hashes.size(); ++i) (i % 3 == 0 ? a : b).Insert(hashes[i]);
  a.Merge(b);
  EXPECT_TRUE(a == whole);
  SplitBlockBloomFilter other(778);
  EXPECT_THROW(a.Merge(other), Error);
}

}  // namespace
}  // namespace sluice
