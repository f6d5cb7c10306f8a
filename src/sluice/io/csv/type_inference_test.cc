#include "sluice/io/csv/type_inference.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

namespace sluice::csv {
namespace {

DataType Infer(std::initializer_list<std::string_view> values) {
  ColumnTypeInference inference(1);
  for (std::string_view v : values) inference.Observe(0, v);
  return inference.Result(0);
}

TEST(TypeInference, PlainTypes) {
  EXPECT_EQ(Infer({"true", "FALSE"}), DataType::Bool());
  EXPECT_EQ(Infer({"1", "-2", "0", "9223372036854775807"}), DataType::Int64());
  EXPECT_EQ(Infer({"1", "2.5"}), DataType::Float64());
  EXPECT_EQ(Infer({"2024-01-01", "1999-12-31"}), DataType::Date32());
  EXPECT_EQ(Infer({"2024-01-01T10:00:00", "2024-01-01 11:00:00.5"}),
            DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_EQ(Infer({"2024-01-01T10:00:00Z", "2024-01-01 11:00:00+01:00"}),
            DataType::Timestamp(TimeUnit::kMicro, "UTC"));
  EXPECT_EQ(Infer({"2024-01-01", "x"}), DataType::String());
  EXPECT_EQ(Infer({}), DataType::String());  // nothing seen
}

TEST(TypeInference, LeadingZerosKeepText) {
  EXPECT_EQ(Infer({"08123", "10001"}), DataType::String());  // zip codes
  EXPECT_EQ(Infer({"10001", "08123"}), DataType::String());  // whichever comes first
  EXPECT_EQ(Infer({"00", "1"}), DataType::String());
  EXPECT_EQ(Infer({"-08", "1"}), DataType::String());
  EXPECT_EQ(Infer({"-0", "1"}), DataType::String());
  EXPECT_EQ(Infer({"01.5", "2.0"}), DataType::String());
  EXPECT_EQ(Infer({"0", "10"}), DataType::Int64());  // 0 alone reads back as 0
  EXPECT_EQ(Infer({"0.5", "-0.25"}), DataType::Float64());
}

TEST(TypeInference, SignsWordsAndLongDigitsKeepText) {
  EXPECT_EQ(Infer({"+1", "2"}), DataType::String());
  EXPECT_EQ(Infer({"+1.5", "2.0"}), DataType::String());
  // Past int64: never a double that would lose digits.
  EXPECT_EQ(Infer({"9223372036854775808", "1"}), DataType::String());
  EXPECT_EQ(Infer({"123456789012345678901234567890", "1"}), DataType::String());
  EXPECT_EQ(Infer({"123456789012345678901234567890", "1.5"}), DataType::String());
}

TEST(TypeInference, ExponentFormsOfIntegersKeepTextUnlessTheColumnHasDecimals) {
  EXPECT_EQ(Infer({"1e5", "100000"}), DataType::String());
  EXPECT_EQ(Infer({"1E5", "2E10"}), DataType::String());
  // As pandas writes small floats; DuckDB reads both as DOUBLE.
  EXPECT_EQ(Infer({"1e-05", "0.5"}), DataType::Float64());
  EXPECT_EQ(Infer({"1.5e3", "2"}), DataType::Float64());
  // Decimals whose text differs from how they print stay doubles, as in DuckDB.
  EXPECT_EQ(Infer({"1.50", ".5", "1.", "1.234567890123456789"}), DataType::Float64());
  // As DuckDB writes and reads NaN and infinities.
  EXPECT_EQ(Infer({"1.5", "nan", "-inf", "Infinity"}), DataType::Float64());
  EXPECT_EQ(Infer({"+inf", "1.5"}), DataType::String());
  EXPECT_EQ(Infer({"Nan", "Bob"}), DataType::String());
}

TEST(TypeInference, MixedDateAndTimeFormatsKeepText) {
  EXPECT_EQ(Infer({"2024-01-02", "01/02/2024"}), DataType::String());
  EXPECT_EQ(Infer({"2024-01-02", "2024-1-2"}), DataType::String());
  EXPECT_EQ(Infer({"2024-01-02", "2024-01-02 10:00:00"}), DataType::String());
  // A zone on some values and not others: which zone the others are in is unknown.
  EXPECT_EQ(Infer({"2024-01-02 10:00:00", "2024-01-02 10:00:00Z"}), DataType::String());
  // Nanoseconds would be cut to microseconds.
  EXPECT_EQ(Infer({"2024-01-02 10:00:00.123456789"}), DataType::String());
  EXPECT_EQ(Infer({"2024-01-02 10:00:00.123456"}), DataType::Timestamp(TimeUnit::kMicro));
}

TEST(TypeInference, RoundTripsHoldsValuesPastTheSampleToTheRule) {
  EXPECT_TRUE(RoundTrips(DataType::Int64(), "10001"));
  EXPECT_TRUE(RoundTrips(DataType::Int64(), "0"));
  EXPECT_TRUE(RoundTrips(DataType::Int64(), "-7"));
  EXPECT_FALSE(RoundTrips(DataType::Int64(), "08123"));
  EXPECT_FALSE(RoundTrips(DataType::Int64(), "+1"));
  EXPECT_FALSE(RoundTrips(DataType::Int64(), "-0"));
  EXPECT_TRUE(RoundTrips(DataType::Float64(), "1e-05"));
  EXPECT_FALSE(RoundTrips(DataType::Float64(), "01.5"));
  EXPECT_TRUE(RoundTrips(DataType::Float64(), "nan"));
  EXPECT_FALSE(RoundTrips(DataType::Float64(), "+inf"));
  EXPECT_FALSE(RoundTrips(DataType::Float64(), "99999999999999999999"));
  EXPECT_TRUE(RoundTrips(DataType::Timestamp(TimeUnit::kMicro), "2024-01-02 10:00:00"));
  EXPECT_FALSE(RoundTrips(DataType::Timestamp(TimeUnit::kMicro), "2024-01-02 10:00:00Z"));
  EXPECT_FALSE(RoundTrips(DataType::Timestamp(TimeUnit::kMicro, "UTC"), "2024-01-02 10:00:00"));
  EXPECT_TRUE(RoundTrips(DataType::String(), "08123"));
}

}  // namespace
}  // namespace sluice::csv
