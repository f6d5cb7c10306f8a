#include "sluice/table/type.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/arrow_format.h"
#include "sluice/table/decimal128.h"
#include "sluice/table/schema.h"

namespace sluice {
namespace {

TEST(DataTypeTest, NamesAndWidths) {
  EXPECT_EQ(DataType::Int32().ToString(), "int32");
  EXPECT_EQ(DataType::Int32().byte_width(), 4);
  EXPECT_EQ(DataType::UInt64().byte_width(), 8);
  EXPECT_EQ(DataType::Bool().layout(), Layout::kBitmap);
  EXPECT_EQ(DataType::String().layout(), Layout::kVariableBinary);
  EXPECT_EQ(DataType::FixedSizeBinary(16).ToString(), "fixed_size_binary[16]");
  EXPECT_EQ(DataType::FixedSizeBinary(16).byte_width(), 16);
  EXPECT_EQ(DataType::Timestamp(TimeUnit::kMicro, "UTC").ToString(), "timestamp[us, tz=UTC]");
  EXPECT_EQ(DataType::Timestamp(TimeUnit::kNano).ToString(), "timestamp[ns]");
  EXPECT_EQ(DataType::Decimal128(10, 2).ToString(), "decimal128(10, 2)");
  EXPECT_EQ(DataType::Decimal128(10, 2).byte_width(), 16);
  EXPECT_EQ(DataType::Date32().byte_width(), 4);
}

TEST(DataTypeTest, EqualityIncludesParameters) {
  EXPECT_EQ(DataType::Int32(), DataType::Int32());
  EXPECT_NE(DataType::Int32(), DataType::UInt32());
  EXPECT_NE(DataType::Timestamp(TimeUnit::kMicro), DataType::Timestamp(TimeUnit::kMilli));
  EXPECT_NE(DataType::Timestamp(TimeUnit::kMicro, "UTC"), DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_NE(DataType::Decimal128(10, 2), DataType::Decimal128(10, 3));
  EXPECT_NE(DataType::FixedSizeBinary(4), DataType::FixedSizeBinary(8));
}

TEST(DataTypeTest, RejectsImpossibleParameters) {
  EXPECT_THROW(DataType::Decimal128(0, 0), Error);
  EXPECT_THROW(DataType::Decimal128(39, 0), Error);
  EXPECT_THROW(DataType::Decimal128(5, 6), Error);
  EXPECT_THROW(DataType::FixedSizeBinary(-1), Error);
}

TEST(SchemaTest, FindsFieldsAndPrints) {
  Schema schema({{"a", DataType::Int64(), false}, {"b", DataType::String()}});
  EXPECT_EQ(schema.FieldIndex("b"), 1);
  EXPECT_EQ(schema.FieldIndex("zz"), std::nullopt);
  EXPECT_EQ(schema.ToString(), "a: int64 not null\nb: string\n");
  EXPECT_NE(schema, Schema({{"a", DataType::Int64()}, {"b", DataType::String()}}));
}

TEST(ArrowFormatTest, EveryTypeRoundTrips) {
  std::vector<std::pair<DataType, std::string>> cases = {
      {DataType::Bool(), "b"},
      {DataType::Int8(), "c"},
      {DataType::UInt8(), "C"},
      {DataType::Int16(), "s"},
      {DataType::UInt16(), "S"},
      {DataType::Int32(), "i"},
      {DataType::UInt32(), "I"},
      {DataType::Int64(), "l"},
      {DataType::UInt64(), "L"},
      {DataType::Float32(), "f"},
      {DataType::Float64(), "g"},
      {DataType::String(), "u"},
      {DataType::Binary(), "z"},
      {DataType::FixedSizeBinary(12), "w:12"},
      {DataType::Date32(), "tdD"},
      {DataType::Timestamp(TimeUnit::kSecond), "tss:"},
      {DataType::Timestamp(TimeUnit::kMilli, "Europe/Paris"), "tsm:Europe/Paris"},
      {DataType::Timestamp(TimeUnit::kMicro, "UTC"), "tsu:UTC"},
      {DataType::Timestamp(TimeUnit::kNano, "+01:00"), "tsn:+01:00"},
      {DataType::Decimal128(38, 10), "d:38,10"},
  };
  for (const auto& [type, format] : cases) {
    EXPECT_EQ(ArrowFormat(type), format);
    EXPECT_EQ(ParseArrowFormat(format), type) << format;
  }
  EXPECT_EQ(ParseArrowFormat("d:9,2,128"), DataType::Decimal128(9, 2));
}

TEST(ArrowFormatTest, UnknownFormatsAreNotSupported) {
  for (const char* format : {"U", "vu", "+l", "d:9,2,256", "tdm", "n", "e"}) {
    try {
      ParseArrowFormat(format);
      ADD_FAILURE() << format;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kNotSupported) << format;
    }
  }
  EXPECT_THROW(ParseArrowFormat("w:x"), Error);
}

TEST(Decimal128Test, FormatsWithScale) {
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(-12345), 2), "-123.45");
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(5), 3), "0.005");
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(-5), 1), "-0.5");
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(7), 0), "7");
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(7), -2), "700");
  __int128 big = static_cast<__int128>(1) << 100;
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(big), 0), "1267650600228229401496703205376");
  __int128 most_negative = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_EQ(FormatDecimal128(Decimal128::FromInt128(most_negative), 0),
            "-170141183460469231731687303715884105728");
  EXPECT_EQ(Decimal128::FromInt128(-1).ToInt128(), -1);
  EXPECT_EQ(Decimal128::FromInt128(-1).high, -1);
}

}  // namespace
}  // namespace sluice
