#include "sluice/ops/group_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>

#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

TEST(GroupTableTest, DenseIdsInOrderOfFirstAppearanceAcrossGrowth) {
  GroupTable table;
  std::mt19937_64 rng(7);
  std::unordered_map<std::string, uint32_t> reference;
  for (int i = 0; i < 200000; ++i) {
    std::string key = std::to_string(rng() % 50000);
    const uint64_t h = XxHash64(key.data(), key.size(), 0);
    const uint32_t g = table.FindOrInsert(h, key);
    auto [it, inserted] = reference.emplace(key, static_cast<uint32_t>(reference.size()));
    ASSERT_EQ(g, it->second) << key;
    ASSERT_EQ(table.key(g), key);
  }
  EXPECT_EQ(table.num_groups(), static_cast<int64_t>(reference.size()));
  for (const auto& [key, g] : reference) {
    EXPECT_EQ(table.Find(XxHash64(key.data(), key.size(), 0), key), g);
  }
  const std::string absent = "absent";
  EXPECT_EQ(table.Find(XxHash64(absent.data(), absent.size(), 0), absent), -1);
}

TEST(GroupTableTest, EqualHashesWithDifferentKeysAreDifferentGroups) {
  GroupTable table;
  // A forced collision: the table must compare the keys, not trust the hash.
  EXPECT_EQ(table.FindOrInsert(42, "a"), 0u);
  EXPECT_EQ(table.FindOrInsert(42, "b"), 1u);
  EXPECT_EQ(table.FindOrInsert(42, "a"), 0u);
  EXPECT_EQ(table.FindOrInsert(42, ""), 2u);
  EXPECT_EQ(table.num_groups(), 3);
}

}  // namespace
}  // namespace sluice
