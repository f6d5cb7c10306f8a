#include "sluice/ops/dictionary_key_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "sluice/table/builder.h"
#include "sluice/table/dictionary.h"

namespace sluice {
namespace {

std::shared_ptr<const Array> Dictionary(int size, const std::string& prefix) {
  BinaryBuilder b;
  for (int i = 0; i < size; ++i) b.Append(prefix + std::to_string(i));
  return std::make_shared<const Array>(b.Finish());
}

Array Encoded(const std::vector<int32_t>& indices, std::shared_ptr<const Array> dictionary) {
  FixedWidthBuilder<int32_t> b;
  for (int32_t i : indices) {
    if (i < 0) {
      b.AppendNull();
    } else {
      b.Append(i);
    }
  }
  return Array::MakeDictionary(b.Finish(), std::move(dictionary));
}

// Groups the rows through the index, with a map of decoded key strings standing in for the hash
// table, and checks that equal keys (nulls included) get equal groups and others differ.
void CheckGroups(DictionaryKeyIndex& index, const std::vector<const Array*>& keys,
                 std::map<std::string, uint32_t>& table, int64_t* pending_rows) {
  const int64_t rows = keys[0]->length();
  std::vector<Array> values;
  for (const Array* k : keys) values.push_back(DecodeDictionary(*k));
  auto key_of = [&](int64_t r) {
    std::string key;
    for (const Array& v : values)
      key += v.IsNull(r) ? "<null>|" : std::string(v.BinaryValue(r)) + "|";
    return key;
  };
  std::vector<uint32_t> groups(static_cast<size_t>(rows));
  std::span<const int64_t> pending = index.Lookup(keys, groups);
  *pending_rows += static_cast<int64_t>(pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    auto [it, added] = table.emplace(key_of(pending[i]), static_cast<uint32_t>(table.size()));
    index.Resolve(i, it->second);
  }
  index.Finish(groups);
  for (int64_t r = 0; r < rows; ++r) {
    ASSERT_TRUE(table.contains(key_of(r))) << "row " << r;
    EXPECT_EQ(groups[static_cast<size_t>(r)], table.at(key_of(r))) << "row " << r;
  }
}

// An index with a map of decoded keys standing in for the hash table behind it.
struct Grouping {
  DictionaryKeyIndex index;
  std::map<std::string, uint32_t> table;
  int64_t pending = 0;  // rows the index sent to the table

  void Check(const std::vector<const Array*>& keys) { CheckGroups(index, keys, table, &pending); }
  // Each distinct key went to the table once.
  int64_t keys() const { return static_cast<int64_t>(table.size()); }
};

TEST(DictionaryKeyIndexTest, GroupsTwoColumnsWithNullsAcrossChunks) {
  std::mt19937 rng(7);
  Grouping grouping;
  for (int chunk = 0; chunk < 3; ++chunk) {
    // Each chunk has its own dictionaries, in another order than the last one's.
    auto a = Dictionary(5 + chunk, chunk % 2 ? "x" : "y");
    auto b = Dictionary(3, "z");
    for (int batch = 0; batch < 2; ++batch) {
      std::vector<int32_t> ia, ib;
      for (int r = 0; r < 500; ++r) {
        ia.push_back(rng() % 10 == 0 ? -1 : static_cast<int32_t>(rng() % (5 + chunk)));
        ib.push_back(static_cast<int32_t>(rng() % 3));
      }
      Array ka = Encoded(ia, a), kb = Encoded(ib, b);
      std::vector<const Array*> keys = {&ka, &kb};
      ASSERT_TRUE(DictionaryKeyIndex::Serves(keys));
      grouping.Check(keys);
    }
  }
  // One pending row per distinct key: later batches and chunks find them all.
  EXPECT_EQ(grouping.pending, grouping.keys());
}

// Row groups each bring their own dictionary in their own order, as DuckDB writes them: a key
// seen in one is known in the next, and ids that outgrow their bit fields keep their groups.
TEST(DictionaryKeyIndexTest, KnowsKeysAcrossReorderedAndGrowingDictionaries) {
  std::mt19937 rng(11);
  Grouping grouping;
  for (int chunk = 0; chunk < 8; ++chunk) {
    const int size = chunk < 4 ? 4 : 40;  // the first column's ids outgrow 3 bits at chunk 4
    std::vector<std::string> values;
    for (int i = 0; i < size; ++i) values.push_back("v" + std::to_string(i));
    std::shuffle(values.begin(), values.end(), rng);
    BinaryBuilder b;
    for (const std::string& v : values) b.Append(v);
    auto a = std::make_shared<const Array>(b.Finish());
    auto c = Dictionary(2, "c");
    std::vector<int32_t> ia, ic;
    for (int r = 0; r < 2000; ++r) {
      ia.push_back(static_cast<int32_t>(rng() % size));
      ic.push_back(static_cast<int32_t>(rng() % 2));
    }
    Array ka = Encoded(ia, a), kc = Encoded(ic, c);
    std::vector<const Array*> keys = {&ka, &kc};
    const int64_t before = grouping.pending;
    grouping.Check(keys);
    if (chunk > 0 && chunk != 4) {
      EXPECT_EQ(grouping.pending, before) << "chunk " << chunk;
    }
  }
  EXPECT_EQ(grouping.pending, grouping.keys());
}

// More distinct values over time than the map's bits hold: the index starts afresh and still
// groups every row right.
TEST(DictionaryKeyIndexTest, StartsAfreshWhenIdsOutgrowTheMap) {
  Grouping grouping;
  for (int chunk = 0; chunk < 40; ++chunk) {
    auto a = Dictionary(250, "a" + std::to_string(chunk) + "_");
    auto c = Dictionary(250, "c" + std::to_string(chunk) + "_");
    std::vector<int32_t> ia, ic;
    for (int r = 0; r < 1000; ++r) {
      ia.push_back(r % 250);
      ic.push_back((r * 7) % 250);
    }
    Array ka = Encoded(ia, a), kc = Encoded(ic, c);
    std::vector<const Array*> keys = {&ka, &kc};
    ASSERT_TRUE(DictionaryKeyIndex::Serves(keys));
    EXPECT_LE(grouping.index.LookupBytes(keys), (int64_t{4} << 20) + 1000 * 12 + 500 * 100);
    grouping.Check(keys);
    EXPECT_LE(grouping.index.ByteSize(), int64_t{8} << 20);
  }
  EXPECT_EQ(grouping.pending, grouping.keys());
}

TEST(DictionaryKeyIndexTest, ServesOnlyDictionariesOfFewCodes) {
  Array small = Encoded({0, 1}, Dictionary(2, "a"));
  Array big = Encoded({0, 1}, Dictionary(70000, "b"));
  FixedWidthBuilder<int32_t> plain_builder;
  plain_builder.Append(1);
  plain_builder.Append(2);
  Array plain = plain_builder.Finish();
  EXPECT_TRUE(DictionaryKeyIndex::Serves(std::vector<const Array*>{&small}));
  EXPECT_FALSE(DictionaryKeyIndex::Serves(std::vector<const Array*>{&big}));
  EXPECT_FALSE(DictionaryKeyIndex::Serves(std::vector<const Array*>{&small, &plain}));
  EXPECT_FALSE(DictionaryKeyIndex::Serves(std::vector<const Array*>{}));
}

}  // namespace
}  // namespace sluice
