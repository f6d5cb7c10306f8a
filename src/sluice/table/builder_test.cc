#include "sluice/table/builder.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/base/memory_budget.h"
#include "sluice/table/allocator.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

TEST(BuilderTest, Int32WithNulls) {
  Int32Builder builder;
  builder.Append(1);
  builder.AppendNull();
  builder.Append(3);
  Array array = builder.Finish();
  EXPECT_EQ(array.length(), 3);
  EXPECT_EQ(array.null_count(), 1);
  EXPECT_TRUE(array.IsValid(0));
  EXPECT_TRUE(array.IsNull(1));
  EXPECT_EQ(array.Value<int32_t>(0), 1);
  EXPECT_EQ(array.Value<int32_t>(2), 3);
  ASSERT_NE(array.validity(), nullptr);
  EXPECT_EQ(array.validity()[0], 0b101);
  // The builder starts over.
  EXPECT_EQ(builder.length(), 0);
  builder.Append(9);
  Array next = builder.Finish();
  EXPECT_EQ(next.length(), 1);
  EXPECT_EQ(next.null_count(), 0);
}

TEST(BuilderTest, NoValidityBitmapWithoutNulls) {
  Float64Builder builder;
  for (int i = 0; i < 100; ++i) builder.Append(i * 0.5);
  Array array = builder.Finish();
  EXPECT_EQ(array.buffer(0), nullptr);
  EXPECT_EQ(array.null_count(), 0);
  EXPECT_EQ(array.Value<double>(99), 49.5);
}

TEST(BuilderTest, FirstNullLateMaterialisesEarlierValidBits) {
  Int64Builder builder;
  for (int i = 0; i < 1000; ++i) builder.Append(i);
  builder.AppendNulls(3);
  builder.Append(7);
  Array array = builder.Finish();
  EXPECT_EQ(array.null_count(), 3);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(array.IsValid(i)) << i;
  EXPECT_TRUE(array.IsNull(1000));
  EXPECT_TRUE(array.IsNull(1002));
  EXPECT_TRUE(array.IsValid(1003));
  EXPECT_EQ(array.Value<int64_t>(1003), 7);
  EXPECT_EQ(array.Value<int64_t>(1001), 0);  // placeholders under nulls are zero
}

TEST(BuilderTest, BoolIsBitPacked) {
  BoolBuilder builder;
  for (int i = 0; i < 20; ++i) builder.Append(i % 3 == 0);
  builder.AppendNull();
  Array array = builder.Finish();
  EXPECT_EQ(array.length(), 21);
  EXPECT_EQ(array.buffer(1)->size(), 3);
  EXPECT_EQ(array.raw_values()[0], 0b01001001);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(array.BoolValue(i), i % 3 == 0);
  EXPECT_TRUE(array.IsNull(20));
}

TEST(BuilderTest, StringsUseInt32Offsets) {
  StringBuilder builder;
  builder.Append("hello");
  builder.Append("");
  builder.AppendNull();
  builder.Append("world!");
  Array array = builder.Finish();
  EXPECT_EQ(array.type(), DataType::String());
  EXPECT_EQ(array.length(), 4);
  const int32_t* offsets = array.raw_offsets();
  EXPECT_EQ(offsets[0], 0);
  EXPECT_EQ(offsets[1], 5);
  EXPECT_EQ(offsets[2], 5);
  EXPECT_EQ(offsets[3], 5);
  EXPECT_EQ(offsets[4], 11);
  EXPECT_EQ(array.BinaryValue(0), "hello");
  EXPECT_EQ(array.BinaryValue(1), "");
  EXPECT_EQ(array.BinaryValue(3), "world!");
  EXPECT_EQ(array.buffer(2)->size(), 11);
}

TEST(BuilderTest, FixedSizeBinaryChecksWidthAndNamesColumn) {
  FixedSizeBinaryBuilder builder(DataType::FixedSizeBinary(3));
  builder.set_name("code");
  builder.Append("abc");
  try {
    builder.Append("ab");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(e.ContextValue("column"), "code");
  }
  builder.AppendNull();
  Array array = builder.Finish();
  EXPECT_EQ(array.length(), 2);
  EXPECT_EQ(array.BinaryValue(0), "abc");
}

TEST(BuilderTest, DecimalTimestampAndDate) {
  Decimal128Builder decimals(DataType::Decimal128(30, 2));
  decimals.Append(Decimal128::FromInt128(-12345));
  Array d = decimals.Finish();
  EXPECT_EQ(d.Value<Decimal128>(0).ToInt128(), -12345);
  Int64Builder timestamps(DataType::Timestamp(TimeUnit::kNano, "UTC"));
  timestamps.Append(5);
  EXPECT_EQ(timestamps.Finish().type(), DataType::Timestamp(TimeUnit::kNano, "UTC"));
  Int32Builder dates(DataType::Date32());
  dates.Append(19000);
  EXPECT_EQ(dates.Finish().type(), DataType::Date32());
}

TEST(BuilderTest, MakeBuilderCoversEveryType) {
  for (const DataType& type :
       {DataType::Bool(), DataType::Int8(), DataType::Int16(), DataType::Int32(), DataType::Int64(),
        DataType::UInt8(), DataType::UInt16(), DataType::UInt32(), DataType::UInt64(),
        DataType::Float32(), DataType::Float64(), DataType::String(), DataType::Binary(),
        DataType::FixedSizeBinary(2), DataType::Date32(), DataType::Timestamp(TimeUnit::kSecond),
        DataType::Decimal128(5, 1)}) {
    std::unique_ptr<ArrayBuilder> builder = MakeBuilder(type);
    builder->AppendNulls(3);
    Array array = builder->Finish();
    EXPECT_EQ(array.type(), type);
    EXPECT_EQ(array.null_count(), 3);
  }
}

TEST(BuilderTest, GrowthIsAmortised) {
  Allocator allocator;
  Int64Builder builder(&allocator);
  for (int i = 0; i < 1'000'000; ++i) builder.Append(i);
  // Doubling from 64 bytes to 8 MB takes about 17 allocations; linear growth would take far more.
  EXPECT_LE(allocator.stats().allocations, 20);
  Array array = builder.Finish();
  EXPECT_EQ(array.Value<int64_t>(999'999), 999'999);
  // At most a quarter of the buffer is growth slack...
  const auto& values = array.buffer(1);
  EXPECT_LE(values->capacity() - values->size(), values->capacity() / 4);
  // ...because Finish trims a buffer that is more than a quarter unused.
  for (int i = 0; i < 1'100'000; ++i) builder.Append(i);
  Array trimmed = builder.Finish();
  EXPECT_EQ(trimmed.buffer(1)->capacity(), 8'800'000);
}

TEST(ArrayTest, SliceIsZeroCopy) {
  Int32Builder builder;
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 0) {
      builder.AppendNull();
    } else {
      builder.Append(i);
    }
  }
  Array array = builder.Finish();
  Array slice = array.Slice(15, 20);
  EXPECT_EQ(slice.buffer(1), array.buffer(1));
  EXPECT_EQ(slice.offset(), 15);
  EXPECT_EQ(slice.length(), 20);
  EXPECT_EQ(slice.null_count(), 2);  // rows 20 and 30
  EXPECT_EQ(slice.Value<int32_t>(0), 15);
  EXPECT_TRUE(slice.IsNull(5));
  Array nested = slice.Slice(6, 3);
  EXPECT_EQ(nested.Value<int32_t>(0), 21);
  EXPECT_EQ(nested.null_count(), 0);
  EXPECT_THROW(array.Slice(90, 11), Error);
  EXPECT_THROW(array.Slice(-1, 1), Error);
}

TEST(ArrayTest, MakeRejectsBuffersThatDoNotCoverTheArray) {
  Int32Builder builder;
  builder.Append(1);
  Array array = builder.Finish();
  EXPECT_THROW(Array::Make(DataType::Int64(), 100, array.buffers()), Error);
  EXPECT_THROW(Array::Make(DataType::Int32(), 1, {nullptr}), Error);
  StringBuilder strings;
  strings.Append("abc");
  Array s = strings.Finish();
  // Offsets claim more data than the data buffer has.
  std::shared_ptr<const Buffer> empty = Allocator::Default()->Allocate(0);
  EXPECT_THROW(Array::Make(DataType::String(), 1, {nullptr, s.buffer(1), empty}), Error);
}

TEST(AllocatorTest, AlignsPadsAndCounts) {
  Allocator allocator;
  AllocatorStats process_before = ProcessAllocatorStats();
  {
    std::unique_ptr<Buffer> buffer = allocator.Allocate(100);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % kBufferAlignment, 0u);
    EXPECT_EQ(buffer->capacity(), 128);
    EXPECT_EQ(allocator.stats().live_bytes, 128);
    EXPECT_EQ(ProcessAllocatorStats().live_bytes - process_before.live_bytes, 128);
    std::unique_ptr<Buffer> empty = allocator.Allocate(0);
    EXPECT_NE(empty->data(), nullptr);
    EXPECT_EQ(empty->capacity(), 0);
  }
  EXPECT_EQ(allocator.stats().live_bytes, 0);
  EXPECT_EQ(allocator.stats().peak_bytes, 128);
  EXPECT_EQ(ProcessAllocatorStats().live_bytes, process_before.live_bytes);
}

TEST(AllocatorTest, AttachedBudgetSeesEveryBuffer) {
  MemoryBudget budget(1 << 20);
  MemoryAccount* account = budget.CreateAccount("reader", 0);
  Allocator allocator(&budget, account);
  {
    StringBuilder builder(DataType::String(), &allocator);
    for (int i = 0; i < 1000; ++i) builder.Append("some text");
    Array array = builder.Finish();
    EXPECT_EQ(budget.used(), allocator.stats().live_bytes);
    EXPECT_EQ(account->used(), budget.used());
    EXPECT_GE(budget.used(), ByteSize(array));
  }
  EXPECT_EQ(budget.used(), 0);
}

TEST(AllocatorTest, FailPolicyRefusesPastTheBudget) {
  MemoryBudget budget(4096);
  Allocator allocator(&budget, nullptr, Allocator::OverBudget::kFail);
  Int64Builder builder(&allocator);
  try {
    for (int i = 0; i < 10'000; ++i) builder.Append(i);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResourceExhausted);
  }
  EXPECT_LE(budget.peak(), 4096);
  MemoryBudget small(64);
  Allocator allow(&small, nullptr);
  std::unique_ptr<Buffer> big = allow.Allocate(1000);
  EXPECT_EQ(small.used(), 1024);
  EXPECT_EQ(small.overdrafts(), 1);
}

}  // namespace
}  // namespace sluice
