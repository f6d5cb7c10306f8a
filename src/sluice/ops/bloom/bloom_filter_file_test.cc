#include "sluice/ops/bloom/bloom_filter_file.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice {
namespace {

BloomFilterFile Sample() {
  BloomFilterFile f;
  f.column = "email";
  f.items = 3;
  f.expected_items = 1000;
  f.target_fpr = 0.01;
  f.sizing = "given";
  f.filter = SplitBlockBloomFilter(SplitBlockBloomFilter::BlocksFor(1000, 0.01));
  for (auto v : {"a@x", "b@x", "c@x"}) f.filter.Insert(SplitBlockBloomFilter::Hash(v));
  return f;
}

TEST(BloomFilterFile, RoundTripsAndEmbedsTheParquetHeader) {
  BloomFilterFile f = Sample();
  std::string bytes = EncodeBloomFilterFile(f);
  EXPECT_EQ(bytes.substr(0, 8), "SLBLOOM1");
  // The Parquet BloomFilterHeader sits right before the bitset.
  const size_t bitset_at = bytes.size() - 8 - f.filter.num_bytes();
  EXPECT_EQ(bytes.substr(bitset_at - 13, 13),
            std::string("\x1C\x1C\x00\x00\x1C\x1C\x00\x00\x1C\x1C\x00\x00\x00", 13));
  BloomFilterFile back = DecodeBloomFilterFile(bytes, "f.bloom");
  EXPECT_EQ(back.column, "email");
  EXPECT_EQ(back.items, 3);
  EXPECT_EQ(back.expected_items, 1000);
  EXPECT_EQ(back.sizing, "given");
  EXPECT_TRUE(back.filter == f.filter);
}

TEST(BloomFilterFile, DamageIsDetected) {
  std::string bytes = EncodeBloomFilterFile(Sample());
  for (size_t at : {size_t{0}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x40;
    try {
      DecodeBloomFilterFile(bad, "f.bloom");
      ADD_FAILURE() << "damage at " << at << " not detected";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
      EXPECT_EQ(e.ContextValue("file"), "f.bloom");
    }
  }
  EXPECT_THROW(DecodeBloomFilterFile(bytes.substr(0, 30), "f.bloom"), Error);
}

TEST(BloomValue, IntegersHashTheirPlainEncoding) {
  int64_t v = 42;
  EXPECT_EQ(*HashBloomValue(BloomValueType::kInt64, "42"), XxHash64(&v, 8, 0));
  int32_t w = -7;
  EXPECT_EQ(*HashBloomValue(BloomValueType::kInt32, "-7"), XxHash64(&w, 4, 0));
  EXPECT_FALSE(HashBloomValue(BloomValueType::kInt32, "x").has_value());
  EXPECT_FALSE(HashBloomValue(BloomValueType::kInt32, "99999999999").has_value());
  EXPECT_EQ(*HashBloomValue(BloomValueType::kString, "42"), SplitBlockBloomFilter::Hash("42"));
}

}  // namespace
}  // namespace sluice
