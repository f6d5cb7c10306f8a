// Nested arrays (list, large_list, fixed_size_list, struct, map): building, slicing, concat, take,
// equality, hashing, printing and the Arrow C Data Interface, over MakeNestedSampleBatch and
// small hand-built values.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/table/arrow_export.h"
#include "sluice/table/arrow_import.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/hash.h"
#include "sluice/table/nested_builder.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"
#include "sluice/table/take.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

template <typename F>
std::optional<ErrorKind> KindOf(F f) {
  try {
    f();
  } catch (const Error& error) {
    return error.kind();
  }
  return std::nullopt;
}

// [[1, null], null, [], [4]]
Array SmallIntLists() {
  ListBuilder builder(DataType::List(DataType::Int32()));
  auto& values = static_cast<Int32Builder&>(builder.values());
  builder.Append();
  values.Append(1);
  values.AppendNull();
  builder.AppendNull();
  builder.Append();
  builder.Append();
  values.Append(4);
  return builder.Finish();
}

TEST(NestedTypeTest, NamesAndEquality) {
  DataType point = DataType::Struct({{"x", DataType::Int32()}, {"y", DataType::String(), false}});
  EXPECT_EQ(point.ToString(), "struct<x: int32, y: string not null>");
  EXPECT_EQ(DataType::List(point).ToString(), "list<struct<x: int32, y: string not null>>");
  EXPECT_EQ(DataType::Map(DataType::String(), DataType::Int64()).ToString(), "map<string, int64>");
  EXPECT_EQ(DataType::FixedSizeList(Field{"v", DataType::Float32(), false}, 3).ToString(),
            "fixed_size_list<float32 not null>[3]");
  EXPECT_EQ(DataType::LargeList(Field{"e", DataType::Int8()}).ToString(), "large_list<int8>");
  // A list's element name is not part of its type; a struct's field names are.
  EXPECT_EQ(DataType::List(Field{"element", DataType::Int32()}), DataType::List(DataType::Int32()));
  EXPECT_NE(DataType::List(DataType::Int32(), false), DataType::List(DataType::Int32()));
  EXPECT_NE(DataType::Struct({{"a", DataType::Int32()}}),
            DataType::Struct({{"b", DataType::Int32()}}));
  EXPECT_NE(DataType::List(DataType::Int32()),
            DataType::LargeList(Field{"item", DataType::Int32()}));
  EXPECT_TRUE(point.is_nested());
  EXPECT_FALSE(point.is_list_like());
  EXPECT_EQ(DataType::Map(DataType::String(), DataType::Int64()).value_type().num_fields(), 2);
  EXPECT_EQ(KindOf([&] {
              DataType::FixedSizeList(Field{"v", DataType::Int8()}, -1);
            }),
            ErrorKind::kInvalidArgument);
}

TEST(NestedArrayTest, ListBuilderOffsetsAndValidity) {
  Array lists = SmallIntLists();
  ASSERT_EQ(lists.length(), 4);
  EXPECT_EQ(lists.null_count(), 1);
  EXPECT_EQ(lists.ValueLength(0), 2);
  EXPECT_TRUE(lists.IsNull(1));
  EXPECT_EQ(lists.ValueLength(1), 0);
  EXPECT_EQ(lists.ValueLength(2), 0);
  EXPECT_EQ(lists.ValueBegin(3), 2);
  EXPECT_EQ(lists.child(0).length(), 3);
  EXPECT_EQ(ToString(lists), "[[1, null], null, [], [4]]");
  EXPECT_EQ(ToString(lists.Slice(1, 3)), "[null, [], [4]]");
}

TEST(NestedArrayTest, MakeNestedChecksChildren) {
  Array lists = SmallIntLists();
  // Offsets past the child.
  EXPECT_EQ(KindOf([&] {
              Array::MakeNested(lists.type(), 4, lists.buffers(), {lists.child(0).Slice(0, 2)});
            }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf([&] {
              Array::MakeNested(DataType::List(DataType::Int64()), 4, lists.buffers(),
                                lists.children());
            }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf([&] { Array::Make(lists.type(), 4, lists.buffers()); }),
            ErrorKind::kInvalidArgument);
  Array structs = MakeNestedSampleBatch(10).column(3);
  EXPECT_EQ(
      KindOf([&] { Array::MakeNested(structs.type(), 11, structs.buffers(), structs.children()); }),
      ErrorKind::kInvalidArgument);
}

TEST(NestedArrayTest, SampleBatchPrintsEveryShape) {
  RecordBatch batch = MakeNestedSampleBatch(12);
  EXPECT_EQ(FormatValue(batch.column(0), 1), "[null, 11]");
  EXPECT_EQ(FormatValue(batch.column(0), 0), "[]");
  EXPECT_EQ(FormatValue(batch.column(0), 3), "null");
  EXPECT_EQ(FormatValue(batch.column(1), 1), "[\"n1-0\", \"n1-1\"]");
  EXPECT_EQ(FormatValue(batch.column(2), 2), "[0.5, null]");
  EXPECT_EQ(FormatValue(batch.column(3), 1), "{x: 1, tags: [\"t1\"]}");
  EXPECT_EQ(FormatValue(batch.column(3), 2), "{x: 2, tags: null}");
  EXPECT_EQ(FormatValue(batch.column(4), 2), "{\"k0\": 200}");
  EXPECT_EQ(FormatValue(batch.column(5), 0),
            "[{x: 0, tags: []}, {x: -1, tags: [\"t0\"]}, "
            "{x: -2, tags: null}]");
  EXPECT_EQ(FormatValue(batch.column(6), 0), "[[], null]");
}

TEST(NestedArrayTest, SliceConcatTakeKeepValues) {
  RecordBatch batch = MakeNestedSampleBatch(300);
  // Concat of slices equals the whole; a slice's values are the whole's rows.
  std::vector<RecordBatch> pieces = {batch.Slice(0, 7), batch.Slice(7, 0), batch.Slice(7, 150),
                                     batch.Slice(157, 143)};
  RecordBatch joined = Concat(pieces);
  EXPECT_EQ(joined, batch) << joined;
  for (int c = 0; c < batch.num_columns(); ++c) {
    Array slice = batch.column(c).Slice(57, 20);
    for (int64_t i = 0; i < slice.length(); ++i) {
      EXPECT_EQ(FormatValue(slice, i), FormatValue(batch.column(c), 57 + i));
    }
  }
  // Take with repeats and reversal.
  std::vector<int64_t> rows = {299, 3, 3, 0, 150, 17};
  RecordBatch taken = Take(batch.Slice(0, 300), rows);
  for (int c = 0; c < batch.num_columns(); ++c) {
    for (size_t k = 0; k < rows.size(); ++k) {
      EXPECT_EQ(FormatValue(taken.column(c), static_cast<int64_t>(k)),
                FormatValue(batch.column(c), rows[k]))
          << batch.schema().field(c).name << " row " << rows[k];
    }
  }
  // Take of a slice, and concat of takes.
  std::vector<int64_t> all(100);
  for (int64_t i = 0; i < 100; ++i) all[static_cast<size_t>(i)] = i;
  EXPECT_EQ(Take(batch.Slice(100, 100), all), batch.Slice(100, 100));
  std::vector<int64_t> bad = {100};
  EXPECT_EQ(KindOf([&] { Take(batch.Slice(0, 100), bad); }), ErrorKind::kInvalidArgument);
}

TEST(NestedArrayTest, EqualityLooksThroughNullsAndOffsets) {
  Array lists = SmallIntLists();
  // The same values written with a null list spanning child rows.
  Int32Builder child;
  child.Append(1);
  child.AppendNull();
  child.Append(9);
  child.Append(4);
  BufferBuilder offsets(Allocator::Default());
  for (int32_t o : {0, 2, 3, 3, 4}) offsets.AppendValue(o);
  BitmapBuilder valid(Allocator::Default());
  for (bool b : {true, false, true, true}) valid.Append(b);
  Array other =
      Array::MakeNested(lists.type(), 4, {valid.Finish(), offsets.Finish()}, {child.Finish()});
  EXPECT_EQ(other, lists);
  EXPECT_EQ(
      HashRows(RecordBatch::Make(Schema({{"l", lists.type()}}), {lists}), std::vector<int>{0}),
      HashRows(RecordBatch::Make(Schema({{"l", lists.type()}}), {other}), std::vector<int>{0}));
  EXPECT_NE(lists.Slice(0, 1), lists.Slice(3, 1));
  EXPECT_NE(lists.Slice(2, 1), lists.Slice(3, 1));
}

TEST(NestedArrayTest, HashIsOfValues) {
  RecordBatch batch = MakeNestedSampleBatch(200);
  std::vector<int> columns = {0, 1, 2, 3, 4, 5, 6};
  std::vector<uint64_t> whole = HashRows(batch, columns);
  std::vector<uint64_t> part = HashRows(batch.Slice(50, 50), columns);
  for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], whole[50 + i]);
  // Copies hash alike; [] and null and [null] differ.
  std::vector<int64_t> rows = {7, 1};
  std::vector<uint64_t> taken = HashRows(Take(batch, rows), columns);
  EXPECT_EQ(taken[0], whole[7]);
  EXPECT_EQ(taken[1], whole[1]);
  std::vector<int> ints = {0};
  std::vector<uint64_t> h = HashRows(batch, ints);
  EXPECT_NE(h[0], h[3]);  // [] and null
  // A list of n values hashes XXH64(n) folded with each value's hash.
  std::vector<uint64_t> values(2);
  HashArray(batch.column(0).child(0).Slice(batch.column(0).ValueBegin(1), 2), values);
  uint64_t n = 2;
  EXPECT_EQ(h[1], CombineHashes(CombineHashes(XxHash64(&n, sizeof(n), 0), values[0]), values[1]));
}

TEST(NestedArrayTest, ArrowCDataRoundTripIsZeroCopy) {
  RecordBatch batch = MakeNestedSampleBatch(120).Slice(5, 100);
  ArrowSchema schema;
  ArrowArray array;
  ExportSchema(batch.schema(), &schema);
  EXPECT_STREQ(schema.children[0]->format, "+l");
  EXPECT_STREQ(schema.children[1]->format, "+L");
  EXPECT_STREQ(schema.children[2]->format, "+w:2");
  EXPECT_STREQ(schema.children[3]->format, "+s");
  EXPECT_STREQ(schema.children[4]->format, "+m");
  ASSERT_EQ(schema.children[4]->n_children, 1);
  EXPECT_STREQ(schema.children[4]->children[0]->format, "+s");
  ExportRecordBatch(batch, &array);
  RecordBatch imported = ImportRecordBatch(&array, &schema);
  EXPECT_EQ(imported, batch) << imported;
  EXPECT_EQ(imported.column(5).child(0).child(1).child(0).buffer(2)->data(),
            batch.column(5).child(0).child(1).child(0).buffer(2)->data());
}

TEST(NestedArrayTest, ImportRejectsBrokenNesting) {
  ArrowSchema schema;
  ExportField(Field{"l", DataType::List(DataType::Int32())}, &schema);
  // A list schema without its element (its release still frees the element).
  schema.n_children = 0;
  EXPECT_EQ(KindOf([&] { ImportField(&schema); }), ErrorKind::kInvalidData);
}

}  // namespace
}  // namespace sluice
