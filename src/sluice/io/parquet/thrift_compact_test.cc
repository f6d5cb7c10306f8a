#include "sluice/io/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;

template <typename F>
void ExpectInvalid(F&& f) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidData) << error.what();
  }
}

TEST(ThriftCompactTest, ScalarsRoundTripAtTheirLimits) {
  std::vector<uint8_t> bytes;
  ThriftCompactWriter w(&bytes);
  const std::vector<int64_t> i64s = {
      0, 1, -1, 63, -64, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  const std::vector<int32_t> i32s = {0, -1, std::numeric_limits<int32_t>::max(),
                                     std::numeric_limits<int32_t>::min()};
  for (int64_t v : i64s) w.WriteI64(v);
  for (int32_t v : i32s) w.WriteI32(v);
  w.WriteI16(std::numeric_limits<int16_t>::min());
  w.WriteI16(std::numeric_limits<int16_t>::max());
  w.WriteI8(-128);
  w.WriteDouble(-0.5);
  w.WriteBinary("");
  w.WriteBinary(std::string(300, 'x'));
  w.WriteBool(true);
  w.WriteBool(false);

  ThriftCompactReader r(bytes);
  for (int64_t v : i64s) EXPECT_EQ(r.ReadI64(), v);
  for (int32_t v : i32s) EXPECT_EQ(r.ReadI32(), v);
  EXPECT_EQ(r.ReadI16(), std::numeric_limits<int16_t>::min());
  EXPECT_EQ(r.ReadI16(), std::numeric_limits<int16_t>::max());
  EXPECT_EQ(r.ReadI8(), -128);
  EXPECT_EQ(r.ReadDouble(), -0.5);
  EXPECT_EQ(r.ReadBinary(), "");
  EXPECT_EQ(r.ReadBinary(), std::string(300, 'x'));
  EXPECT_TRUE(r.ReadBool());
  EXPECT_FALSE(r.ReadBool());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactTest, VarintExampleFromTheSpec) {
  // 50399 as an unsigned varint is DF 89 03; zigzag doubles it for an i32 field.
  std::vector<uint8_t> bytes;
  ThriftCompactWriter w(&bytes);
  w.WriteBinary(std::string(50399, 'a'));
  EXPECT_EQ(bytes[0], 0xDF);
  EXPECT_EQ(bytes[1], 0x89);
  EXPECT_EQ(bytes[2], 0x03);
}

TEST(ThriftCompactTest, FieldIdsShortAndLongFormAndNestedStructs) {
  std::vector<uint8_t> bytes;
  ThriftCompactWriter w(&bytes);
  w.BeginStruct();
  w.WriteFieldI32(1, 7);
  w.WriteFieldI32(16, 8);   // delta 15: short form
  w.WriteFieldI32(100, 9);  // delta 84: long form
  w.WriteFieldI32(-5, 10);  // negative id: long form
  w.WriteFieldHeader(200, T::kStruct);
  w.BeginStruct();
  w.WriteFieldBool(1, true);
  w.WriteFieldBool(2, false);
  w.EndStruct();
  w.WriteFieldI32(201, 11);  // delta relative to 200, the outer struct's last id
  w.EndStruct();

  ThriftCompactReader r(bytes);
  r.BeginStruct();
  ThriftField f;
  std::vector<std::pair<int16_t, int32_t>> seen;
  while (r.NextField(&f)) {
    if (f.type == T::kStruct) {
      EXPECT_EQ(f.id, 200);
      r.BeginStruct();
      ASSERT_TRUE(r.NextField(&f));
      EXPECT_EQ(f.id, 1);
      EXPECT_TRUE(r.ReadBool());
      ASSERT_TRUE(r.NextField(&f));
      EXPECT_EQ(f.id, 2);
      EXPECT_FALSE(r.ReadBool());
      EXPECT_FALSE(r.NextField(&f));
      r.EndStruct();
      continue;
    }
    seen.emplace_back(f.id, r.ReadI32());
  }
  r.EndStruct();
  EXPECT_EQ(seen, (std::vector<std::pair<int16_t, int32_t>>{
                      {1, 7}, {16, 8}, {100, 9}, {-5, 10}, {201, 11}}));
}

TEST(ThriftCompactTest, SkipsEveryTypeIncludingContainers) {
  std::vector<uint8_t> bytes;
  ThriftCompactWriter w(&bytes);
  w.BeginStruct();
  w.WriteFieldBool(1, true);
  w.WriteFieldI8(2, 5);
  w.WriteFieldI16(3, -300);
  w.WriteFieldI64(4, 1LL << 50);
  w.WriteFieldDouble(5, 3.25);
  w.WriteFieldBinary(6, "hello");
  w.WriteFieldHeader(7, T::kList);
  w.WriteListHeader(T::kBoolTrue, 20);
  for (int i = 0; i < 20; ++i) w.WriteBool(i % 3 == 0);
  w.WriteFieldHeader(8, T::kMap);
  w.WriteMapHeader(T::kBinary, T::kI32, 2);
  w.WriteBinary("a");
  w.WriteI32(1);
  w.WriteBinary("b");
  w.WriteI32(2);
  w.WriteFieldHeader(9, T::kList);
  w.WriteListHeader(T::kStruct, 1);
  w.BeginStruct();
  w.WriteFieldHeader(1, T::kList);
  w.WriteListHeader(T::kDouble, 2);
  w.WriteDouble(1);
  w.WriteDouble(2);
  w.EndStruct();
  w.WriteFieldHeader(10, T::kMap);
  w.WriteMapHeader(T::kI32, T::kI32, 0);
  w.WriteFieldI32(11, 42);
  w.EndStruct();

  ThriftCompactReader r(bytes);
  r.BeginStruct();
  ThriftField f;
  int32_t last = 0;
  while (r.NextField(&f)) {
    if (f.id == 11) {
      last = r.ReadI32();
    } else {
      r.Skip(f.type);
    }
  }
  r.EndStruct();
  EXPECT_EQ(last, 42);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactTest, ListOfBoolsAcceptsBothElementTypes) {
  for (uint8_t element_type : {1, 2}) {
    std::vector<uint8_t> bytes = {static_cast<uint8_t>(0x30 | element_type), 1, 2, 1};
    ThriftCompactReader r(bytes);
    ThriftListHeader list = r.ReadListHeader();
    EXPECT_EQ(list.element_type, T::kBoolTrue);
    ASSERT_EQ(list.size, 3u);
    EXPECT_TRUE(r.ReadBool());
    EXPECT_FALSE(r.ReadBool());
    EXPECT_TRUE(r.ReadBool());
  }
}

TEST(ThriftCompactTest, RejectsMalformedInput) {
  // Truncated varint.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x80, 0x80};
    ThriftCompactReader(b).ReadI64();
  });
  // 11-byte varint.
  ExpectInvalid([] {
    std::vector<uint8_t> b(11, 0x80);
    b.back() = 0;
    ThriftCompactReader(b).ReadI64();
  });
  // i32 wider than 32 bits.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x7f};
    ThriftCompactReader(b).ReadI32();
  });
  // Binary longer than the data.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x0a, 'a', 'b'};
    ThriftCompactReader(b).ReadBinary();
  });
  // A list claiming two billion elements.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0xf5, 0xff, 0xff, 0xff, 0xff, 0x07};
    ThriftCompactReader(b).ReadListHeader();
  });
  // A list of doubles needs 8 bytes each.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x37, 0, 0, 0, 0, 0, 0, 0, 0};
    ThriftCompactReader(b).ReadListHeader();
  });
  // Invalid field and element types.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x1e};
    ThriftCompactReader r(b);
    r.BeginStruct();
    ThriftField f;
    r.NextField(&f);
  });
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x10};
    ThriftCompactReader(b).ReadListHeader();
  });
  // A struct that never ends.
  ExpectInvalid([] {
    std::vector<uint8_t> b = {0x15, 0x02};
    ThriftCompactReader r(b);
    r.Skip(T::kStruct);
  });
}

TEST(ThriftCompactTest, NestingDepthIsBounded) {
  // 100 nested structs, each as field 1 of its parent.
  std::vector<uint8_t> bytes(100, 0x1c);
  bytes.insert(bytes.end(), 101, 0x00);
  ExpectInvalid([&] { ThriftCompactReader(bytes).Skip(T::kStruct); });
  ThriftLimits deep;
  deep.max_depth = 200;
  ThriftCompactReader r(bytes, deep);
  EXPECT_NO_THROW(r.Skip(T::kStruct));
  // Lists nested in lists count too.
  std::vector<uint8_t> lists(1000, 0x19);
  ExpectInvalid([&] { ThriftCompactReader(lists).Skip(T::kList); });
}

TEST(ThriftCompactTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bytes(rng() % 64);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    try {
      ThriftCompactReader r(bytes);
      r.Skip(T::kStruct);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidData);
    }
  }
}

}  // namespace
}  // namespace sluice::parquet
