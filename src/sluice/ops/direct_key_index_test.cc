#include "sluice/ops/direct_key_index.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>

#include "sluice/ops/hash_aggregation.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

Array Int32s(const std::vector<std::optional<int32_t>>& values) {
  Int32Builder b;
  for (const auto& v : values) v ? b.Append(*v) : b.AppendNull();
  return b.Finish();
}

TEST(DirectKeyIndex, MissesUntilRecordedThenHits) {
  const DataType types[] = {DataType::Int32(), DataType::Int32()};
  DirectKeyIndex index(types);
  Array a = Int32s({1, 2, 3, 1});
  Array b = Int32s({10, 10, 20, 10});
  const Array* keys[] = {&a, &b};
  std::vector<uint32_t> groups(4);
  EXPECT_EQ(index.Lookup(keys, groups), 4);
  ASSERT_TRUE(index.enabled());
  for (int64_t r = 0; r < 3; ++r) index.Record(r, static_cast<uint32_t>(r));
  EXPECT_EQ(index.Lookup(keys, groups), 0);
  EXPECT_EQ(groups, (std::vector<uint32_t>{0, 1, 2, 0}));

  // (3, 10) is in range but new; (4, 10) is out of the first batch's range; nulls always miss.
  Array c = Int32s({3, 4, std::nullopt, 2});
  Array d = Int32s({10, 10, 10, std::nullopt});
  const Array* more[] = {&c, &d};
  EXPECT_EQ(index.Lookup(more, groups), 4);
  index.Record(0, 7);
  index.Record(1, 8);  // no slot: nothing recorded, nothing overwritten
  EXPECT_EQ(index.Lookup(more, groups), 3);
  EXPECT_EQ(groups[0], 7u);
  EXPECT_EQ(index.Lookup(keys, groups), 0);
  EXPECT_EQ(groups, (std::vector<uint32_t>{0, 1, 2, 0}));
}

TEST(DirectKeyIndex, LookupBytesBoundWhatLookupAllocates) {
  const DataType types[] = {DataType::Int32(), DataType::Int32()};
  DirectKeyIndex index(types);
  Array a = Int32s({1, 200, 3, std::nullopt});
  Array b = Int32s({10, 10, 29, 10});
  const Array* keys[] = {&a, &b};
  // 200 x 20 slots of 4 bytes, and 8 bytes a row of scratch.
  EXPECT_EQ(index.LookupBytes(keys), 200 * 20 * 4 + 4 * 8);
  std::vector<uint32_t> groups(4);
  index.Lookup(keys, groups);
  EXPECT_LE(index.ByteSize(), 200 * 20 * 4 + 4 * 8);
  EXPECT_GE(index.ByteSize(), 200 * 20 * 4);
  EXPECT_EQ(index.LookupBytes(keys), 4 * 8) << "sized: only the scratch";

  const DataType strings[] = {DataType::String()};
  const DirectKeyIndex by_string(strings);
  StringBuilder s;
  s.Append("x");
  Array text = s.Finish();
  const Array* text_keys[] = {&text};
  EXPECT_EQ(by_string.LookupBytes(text_keys), 0);
}

TEST(DirectKeyIndex, OffForOtherTypesAndWideRanges) {
  const DataType strings[] = {DataType::String()};
  DirectKeyIndex by_string(strings);
  StringBuilder s;
  s.Append("x");
  Array text = s.Finish();
  const Array* text_keys[] = {&text};
  std::vector<uint32_t> groups(1);
  EXPECT_EQ(by_string.Lookup(text_keys, groups), 1);
  EXPECT_FALSE(by_string.enabled());

  const DataType ints[] = {DataType::Int32()};
  DirectKeyIndex wide(ints);
  Array spread = Int32s({0, static_cast<int32_t>(DirectKeyIndex::kMaxSlots)});
  const Array* spread_keys[] = {&spread};
  groups.resize(2);
  EXPECT_EQ(wide.Lookup(spread_keys, groups), 2);
  EXPECT_FALSE(wide.enabled());

  const DataType pair[] = {DataType::Int32(), DataType::Int32()};
  DirectKeyIndex product(pair);
  Array x = Int32s({0, 2000});
  Array y = Int32s({0, 2000});
  const Array* product_keys[] = {&x, &y};
  EXPECT_EQ(product.Lookup(product_keys, groups), 2);
  EXPECT_FALSE(product.enabled());  // 2001 * 2001 slots is past the cap
}

// The same rows grouped by integer keys (through the index) and by their decimal strings (hash
// table only) give the same groups and sums, including nulls and values outside the first
// batch's range.
TEST(DirectKeyIndex, GroupByIntegerKeysMatchesTheHashTable) {
  std::mt19937_64 rng(7);
  const Schema ints({{"a", DataType::Int32()}, {"b", DataType::Int32()}, {"v", DataType::Int64()}});
  const Schema texts(
      {{"a", DataType::String()}, {"b", DataType::String()}, {"v", DataType::Int64()}});
  GroupBySpec spec;
  spec.keys = {"a", "b"};
  spec.aggregates = ParseAggregateCalls("sum(v), count(*)");
  HashAggregation by_int(ints, spec);
  HashAggregation by_text(texts, spec);
  for (int batch = 0; batch < 20; ++batch) {
    Int32Builder a, b;
    StringBuilder ta, tb;
    Int64Builder v;
    for (int r = 0; r < 500; ++r) {
      // Later batches widen the ranges, so some rows miss for good.
      const int spread = batch < 2 ? 10 : 40;
      auto value = [&](Int32Builder& ib, StringBuilder& sb) {
        if (rng() % 13 == 0) {
          ib.AppendNull();
          sb.AppendNull();
          return;
        }
        const int32_t x = static_cast<int32_t>(rng() % spread) - 5;
        ib.Append(x);
        sb.Append(std::to_string(x));
      };
      value(a, ta);
      value(b, tb);
      v.Append(static_cast<int64_t>(rng() % 100));
    }
    Array values = v.Finish();
    by_int.Consume(RecordBatch::Make(ints, {a.Finish(), b.Finish(), values}), batch * 500);
    by_text.Consume(RecordBatch::Make(texts, {ta.Finish(), tb.Finish(), values}), batch * 500);
  }
  auto collect = [](RecordBatch out, bool text) {
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> groups;
    auto key = [&](int c, int64_t r) -> std::string {
      const Array& k = out.column(c);
      if (k.IsNull(r)) return "null";
      return text ? std::string(k.BinaryValue(r)) : std::to_string(k.Value<int32_t>(r));
    };
    for (int64_t r = 0; r < out.num_rows(); ++r) {
      groups[{key(0, r), key(1, r)}] = {out.column(2).Value<int64_t>(r),
                                        out.column(3).Value<int64_t>(r)};
    }
    EXPECT_EQ(static_cast<int64_t>(groups.size()), out.num_rows());
    return groups;
  };
  auto int_groups = collect(by_int.Finish(), false);
  auto text_groups = collect(by_text.Finish(), true);
  EXPECT_GT(int_groups.size(), 1000u);
  EXPECT_EQ(int_groups, text_groups);
}

}  // namespace
}  // namespace sluice
