#include "sluice/io/csv/value_parser.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_schema.h"

namespace sluice::csv {
namespace {

TEST(ValueParser, StrictNumbers) {
  int64_t i;
  EXPECT_TRUE(ParseInt64("-42", i));
  EXPECT_EQ(i, -42);
  EXPECT_TRUE(ParseInt64("+7", i));
  EXPECT_FALSE(ParseInt64("", i));
  EXPECT_FALSE(ParseInt64("12 ", i));
  EXPECT_FALSE(ParseInt64("9223372036854775808", i));
  double d;
  EXPECT_TRUE(ParseFloat64("1.5e3", d));
  EXPECT_EQ(d, 1500.0);
  EXPECT_FALSE(ParseFloat64("1.5x", d));
  bool b;
  EXPECT_TRUE(ParseBool("TRUE", b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(ParseBool("yes", b));
}

TEST(ValueParser, DatesAndTimestamps) {
  int32_t days;
  EXPECT_TRUE(ParseDate32("1970-01-02", days));
  EXPECT_EQ(days, 1);
  EXPECT_TRUE(ParseDate32("2024-02-29", days));
  EXPECT_FALSE(ParseDate32("2023-02-29", days));
  int64_t us;
  EXPECT_TRUE(ParseTimestampMicros("1970-01-01T00:00:01.5", us));
  EXPECT_EQ(us, 1'500'000);
  EXPECT_TRUE(ParseTimestampMicros("1970-01-01 01:00:00+01:00", us));
  EXPECT_EQ(us, 0);
  EXPECT_TRUE(ParseTimestampMicros("1970-01-01T00:00:00Z", us));
  EXPECT_FALSE(ParseTimestampMicros("1970-01-01T25:00:00", us));
}

TEST(ColumnTypes, Overrides) {
  auto types = ParseColumnTypes("id=int32,email:string,a:b:date,ts:timestamptz");
  EXPECT_EQ(types.at("id"), DataType::Int32());
  EXPECT_EQ(types.at("email"), DataType::String());
  EXPECT_EQ(types.at("a:b"), DataType::Date32());  // the type follows the last separator
  EXPECT_EQ(types.at("ts"), DataType::Timestamp(TimeUnit::kMicro, "UTC"));
  EXPECT_THROW(ParseColumnTypes("id=int128"), Error);
  EXPECT_THROW(ParseColumnTypes("id"), Error);
  EXPECT_THROW(ParseColumnTypes(":int64"), Error);
}

}  // namespace
}  // namespace sluice::csv
