#include "sluice/ops/predicate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/ops/like_pattern.h"
#include "sluice/ops/predicate_parser.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

template <typename T>
Array Fixed(DataType type, const std::vector<std::optional<T>>& values) {
  FixedWidthBuilder<T> builder(type);
  for (const std::optional<T>& v : values) v ? builder.Append(*v) : builder.AppendNull();
  return builder.Finish();
}

Array Strings(const std::vector<std::optional<std::string>>& values) {
  BinaryBuilder builder;
  for (const auto& v : values) v ? builder.Append(*v) : builder.AppendNull();
  return builder.Finish();
}

Array Bools(const std::vector<std::optional<bool>>& values) {
  BoolBuilder builder;
  for (const auto& v : values) v ? builder.Append(*v) : builder.AppendNull();
  return builder.Finish();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Six rows of every kind of column, with a null in each.
RecordBatch Sample() {
  Schema schema({{"i", DataType::Int32()},
                 {"u", DataType::UInt64()},
                 {"f", DataType::Float64()},
                 {"f32", DataType::Float32()},
                 {"s", DataType::String()},
                 {"b", DataType::Bool()},
                 {"d", DataType::Date32()},
                 {"ts", DataType::Timestamp(TimeUnit::kMilli)},
                 {"dec", DataType::Decimal128(10, 2)},
                 {"i8", DataType::Int8()}});
  const int32_t day = 20454;  // 2026-01-01
  const int64_t ms = int64_t{day} * 86400000;
  auto dec = [](int64_t v) { return std::optional<Decimal128>(Decimal128::FromInt128(v)); };
  return RecordBatch::Make(
      std::move(schema),
      {Fixed<int32_t>(DataType::Int32(), {1, 2, std::nullopt, 3, -4, 2}),
       Fixed<uint64_t>(DataType::UInt64(), {0, 5, 18446744073709551615ull, std::nullopt, 7, 1}),
       Fixed<double>(DataType::Float64(), {1.5, kNaN, -0.0, std::nullopt, kInf, -2}),
       Fixed<float>(DataType::Float32(), {0.1f, 0.2f, std::nullopt, 0.3f, 0.4f, 0.5f}),
       Strings({"abc", "", std::nullopt, "abd", "b\xc3\xa9z", "ab"}),
       Bools({true, false, std::nullopt, true, false, true}),
       Fixed<int32_t>(DataType::Date32(), {day, day + 1, day + 2, std::nullopt, day - 1, day}),
       Fixed<int64_t>(DataType::Timestamp(TimeUnit::kMilli),
                      {ms, ms + 500, ms + 1000, ms - 1, std::nullopt, ms + 1500}),
       Fixed<Decimal128>(DataType::Decimal128(10, 2),
                         {dec(125), dec(150), dec(-125), std::nullopt, dec(0), dec(126)}),
       Fixed<int8_t>(DataType::Int8(), {-128, 127, 0, std::nullopt, 5, 6})});
}

// The rows of Sample() that `where` passes.
std::vector<int> Pass(const std::string& where) {
  const RecordBatch batch = Sample();
  std::vector<uint8_t> selected;
  Predicate::Bind(ParsePredicate(where), batch.schema())->Evaluate(batch, selected);
  std::vector<int> rows;
  for (size_t r = 0; r < selected.size(); ++r) {
    if (selected[r]) rows.push_back(static_cast<int>(r));
  }
  return rows;
}

using Rows = std::vector<int>;

TEST(PredicateTest, ComparisonsWithANullAreNeverTrueNotEvenNegated) {
  EXPECT_EQ(Pass("i > 1"), (Rows{1, 3, 5}));
  EXPECT_EQ(Pass("NOT i > 1"), (Rows{0, 4}));
  EXPECT_EQ(Pass("NOT (i > 1 AND i < 3)"), (Rows{0, 3, 4}));
  EXPECT_EQ(Pass("i = 2 OR NOT i = 2"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Pass("i IS NULL"), (Rows{2}));
  EXPECT_EQ(Pass("NOT i IS NULL"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Pass("i IS NOT NULL AND i <= 1"), (Rows{0, 4}));
}

TEST(PredicateTest, IntegersAgainstFloatAndOutOfRangeLiterals) {
  EXPECT_EQ(Pass("i < 2.5"), (Rows{0, 1, 4, 5}));
  EXPECT_EQ(Pass("i > 2.5"), (Rows{3}));
  EXPECT_EQ(Pass("i >= -3.5"), (Rows{0, 1, 3, 5}));
  EXPECT_EQ(Pass("i = 2.5"), (Rows{}));
  EXPECT_EQ(Pass("i != 2.5"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Pass("i = 2.0"), (Rows{1, 5}));
  EXPECT_EQ(Pass("i8 < 1000"), (Rows{0, 1, 2, 4, 5}));
  EXPECT_EQ(Pass("i8 > 99999999999999999999"), (Rows{}));
  EXPECT_EQ(Pass("i8 = -128"), (Rows{0}));
  EXPECT_EQ(Pass("u > -1"), (Rows{0, 1, 2, 4, 5}));
  EXPECT_EQ(Pass("u < 0"), (Rows{}));
  EXPECT_EQ(Pass("u = 18446744073709551615"), (Rows{2}));
  EXPECT_EQ(Pass("u >= 5"), (Rows{1, 2, 4}));
  EXPECT_EQ(Pass("5 <= u"), (Rows{1, 2, 4}));
}

TEST(PredicateTest, InLists) {
  EXPECT_EQ(Pass("i IN (1, 3, 99)"), (Rows{0, 3}));
  EXPECT_EQ(Pass("i NOT IN (1, 3)"), (Rows{1, 4, 5}));
  EXPECT_EQ(Pass("NOT i IN (1, 3)"), (Rows{1, 4, 5}));
  EXPECT_EQ(Pass("i IN (2.5)"), (Rows{}));
  EXPECT_EQ(Pass("i NOT IN (2.5)"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Pass("s IN ('', 'ab')"), (Rows{1, 5}));
  EXPECT_EQ(Pass("f IN ('nan', 0)"), (Rows{1, 2}));
}

TEST(PredicateTest, FloatsFollowDuckDbNaNIsLargestAndEqualToItselfAndMinusZeroIsZero) {
  EXPECT_EQ(Pass("f > 1"), (Rows{0, 1, 4}));
  EXPECT_EQ(Pass("f < 'inf'"), (Rows{0, 2, 5}));
  EXPECT_EQ(Pass("f = 'NaN'"), (Rows{1}));
  EXPECT_EQ(Pass("f = 0"), (Rows{2}));
  EXPECT_EQ(Pass("f >= 'nan'"), (Rows{1}));
  EXPECT_EQ(Pass("f != 1.5"), (Rows{1, 2, 4, 5}));
  // The literal takes the column's type, as DuckDB casts constants.
  EXPECT_EQ(Pass("f32 = 0.1"), (Rows{0}));
  EXPECT_EQ(Pass("f32 > 0.3"), (Rows{4, 5}));
}

TEST(PredicateTest, StringsCompareBytewiseWithEmptyStringsNotNull) {
  EXPECT_EQ(Pass("s = ''"), (Rows{1}));
  EXPECT_EQ(Pass("s != ''"), (Rows{0, 3, 4, 5}));
  EXPECT_EQ(Pass("s > 'ab'"), (Rows{0, 3, 4}));
  EXPECT_EQ(Pass("s < 'abd'"), (Rows{0, 1, 5}));
  EXPECT_EQ(Pass("s LIKE 'ab%'"), (Rows{0, 3, 5}));
  EXPECT_EQ(Pass("s LIKE 'ab_'"), (Rows{0, 3}));
  EXPECT_EQ(Pass("s LIKE 'b_z'"), (Rows{4}));  // '_' is one UTF-8 character
  EXPECT_EQ(Pass("s LIKE '%'"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Pass("s LIKE '%b%'"), (Rows{0, 3, 4, 5}));
  EXPECT_EQ(Pass("s LIKE 'ab'"), (Rows{5}));
  EXPECT_EQ(Pass("s NOT LIKE 'ab%'"), (Rows{1, 4}));
}

TEST(PredicateTest, BoolsDatesTimestampsAndDecimals) {
  EXPECT_EQ(Pass("b"), (Rows{0, 3, 5}));
  EXPECT_EQ(Pass("NOT b"), (Rows{1, 4}));
  EXPECT_EQ(Pass("b = false"), (Rows{1, 4}));
  EXPECT_EQ(Pass("d >= '2026-01-02'"), (Rows{1, 2}));
  EXPECT_EQ(Pass("d < '2026-01-01 12:00:00'"), (Rows{0, 4, 5}));
  EXPECT_EQ(Pass("d = '2026-01-01 12:00:00'"), (Rows{}));
  EXPECT_EQ(Pass("ts > '2026-01-01 00:00:01'"), (Rows{5}));
  EXPECT_EQ(Pass("ts <= '2026-01-01 00:00:00.5'"), (Rows{0, 1, 3}));
  EXPECT_EQ(Pass("ts < '2026-01-01'"), (Rows{3}));
  EXPECT_EQ(Pass("dec > 1.25"), (Rows{1, 5}));
  EXPECT_EQ(Pass("dec = 1.25"), (Rows{0}));
  EXPECT_EQ(Pass("dec < 1.255"), (Rows{0, 2, 4}));
  EXPECT_EQ(Pass("dec >= -1.251"), (Rows{0, 1, 2, 4, 5}));
  EXPECT_EQ(Pass("dec = -1.25"), (Rows{2}));
  EXPECT_EQ(Pass("dec IN (0, 1.5)"), (Rows{1, 4}));
}

TEST(PredicateTest, FilterKeepsPassingRowsInOrderAndWholeBatchesAsTheyAre) {
  const RecordBatch batch = Sample();
  const RecordBatch some =
      Predicate::Bind(ParsePredicate("s LIKE 'ab%'"), batch.schema())->Filter(batch);
  ASSERT_EQ(some.num_rows(), 3);
  EXPECT_EQ(some.column("s").BinaryValue(2), "ab");
  EXPECT_EQ(some.column("i").Value<int32_t>(1), 3);
  const RecordBatch all =
      Predicate::Bind(ParsePredicate("u IS NOT NULL OR u IS NULL"), batch.schema())->Filter(batch);
  EXPECT_EQ(all.column(0).buffer(1).get(), batch.column(0).buffer(1).get());
}

Error BindError(const std::string& where) {
  try {
    Predicate::Bind(ParsePredicate(where), Sample().schema());
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << where;
  return InternalError("none");
}

TEST(PredicateTest, BindErrorsNameTheColumnAndPosition) {
  Error unknown = BindError("i = 1 AND nope > 2");
  EXPECT_EQ(unknown.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(unknown.message().find("unknown column 'nope' at position 11"), std::string::npos);
  EXPECT_NE(unknown.ContextValue("columns").find("i, u, f"), std::string::npos);
  EXPECT_NE(BindError("i = 'x'").message().find("column 'i' (int32) cannot be compared with 'x' "
                                                "at position 5"),
            std::string::npos);
  EXPECT_NE(BindError("s = 5").message().find("quote it"), std::string::npos);
  EXPECT_NE(BindError("i LIKE 'a%'").message().find("LIKE needs a string column"),
            std::string::npos);
  EXPECT_NE(BindError("b = 1").message().find("true or false"), std::string::npos);
  EXPECT_NE(BindError("d = 'soon'").message().find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(BindError("i AND b").message().find("not a boolean"), std::string::npos);
}

TEST(PredicateTest, ColumnsAreTheSchemaPositionsRead) {
  const RecordBatch batch = Sample();
  EXPECT_EQ(
      Predicate::Bind(ParsePredicate("s = 'a' OR i > 1 AND s IS NULL"), batch.schema())->columns(),
      (std::vector<int>{0, 4}));
}

// MayMatch of `where` on Sample()'s schema, with `stats` for every column.
bool MayMatch(const std::string& where, const ColumnStatistics& stats) {
  return Predicate::Bind(ParsePredicate(where), Sample().schema())->MayMatch([&](int) {
    return std::optional<ColumnStatistics>(stats);
  });
}

ColumnStatistics Range(ColumnStatistics::Value min, ColumnStatistics::Value max,
                       int64_t null_count = 0) {
  ColumnStatistics stats;
  stats.rows = 100;
  stats.null_count = null_count;
  stats.nan_count = 0;
  stats.min = std::move(min);
  stats.max = std::move(max);
  return stats;
}

TEST(PredicateTest, StatisticsProveWhenNoRowCanPass) {
  const ColumnStatistics ints = Range(int64_t{10}, int64_t{20});
  EXPECT_FALSE(MayMatch("i > 20", ints));
  EXPECT_TRUE(MayMatch("i >= 20", ints));
  EXPECT_FALSE(MayMatch("i < 10", ints));
  EXPECT_FALSE(MayMatch("i = 5 OR i = 25", ints));
  EXPECT_TRUE(MayMatch("i = 5 OR i = 15", ints));
  EXPECT_FALSE(MayMatch("i IN (1, 2, 30)", ints));
  EXPECT_FALSE(MayMatch("NOT i <= 20", ints));
  EXPECT_FALSE(MayMatch("i IS NULL", ints));
  EXPECT_TRUE(MayMatch("i IS NULL", Range(int64_t{10}, int64_t{20}, 3)));
  EXPECT_FALSE(MayMatch("i != 10", Range(int64_t{10}, int64_t{10})));
  EXPECT_FALSE(MayMatch("i = 1", Range(std::monostate{}, std::monostate{}, 100)));
  EXPECT_TRUE(MayMatch("i = 1", Range(std::monostate{}, std::monostate{}, 5)));
  EXPECT_FALSE(MayMatch("u > 100", Range(uint64_t{1}, uint64_t{100})));

  const ColumnStatistics strings = Range(std::string("b"), std::string("d"));
  EXPECT_FALSE(MayMatch("s LIKE 'a%'", strings));
  EXPECT_TRUE(MayMatch("s LIKE 'b%'", strings));
  EXPECT_TRUE(MayMatch("s LIKE 'c%'", strings));
  EXPECT_FALSE(MayMatch("s LIKE 'e%'", strings));
  EXPECT_TRUE(MayMatch("s LIKE '%a'", strings));
  EXPECT_FALSE(MayMatch("s > 'd'", strings));
}

TEST(PredicateTest, FloatStatisticsLeaveRoomForNaNUnlessTheyCountNone) {
  ColumnStatistics floats = Range(1.0, 2.0);
  EXPECT_FALSE(MayMatch("f > 2", floats));
  EXPECT_FALSE(MayMatch("f < 1", floats));
  floats.nan_count.reset();  // unknown: a NaN, above every value, may be there
  EXPECT_TRUE(MayMatch("f > 2", floats));
  EXPECT_FALSE(MayMatch("f < 1", floats));
  EXPECT_TRUE(MayMatch("f = 'nan'", floats));
  EXPECT_TRUE(MayMatch("f IS NOT NULL", floats));
  EXPECT_FALSE(MayMatch("f IS NOT NULL", Range(std::monostate{}, std::monostate{}, 100)));
}

TEST(LikePatternTest, ShapesAndGeneralMatching) {
  EXPECT_EQ(LikePattern("abc").shape(), LikePattern::Shape::kExact);
  EXPECT_EQ(LikePattern("abc%").shape(), LikePattern::Shape::kPrefix);
  EXPECT_EQ(LikePattern("abc%").text(), "abc");
  EXPECT_EQ(LikePattern("a%c").shape(), LikePattern::Shape::kGeneral);
  EXPECT_TRUE(LikePattern("a%c").Matches("abbbc"));
  EXPECT_TRUE(LikePattern("a%c").Matches("ac"));
  EXPECT_FALSE(LikePattern("a%c").Matches("acb"));
  EXPECT_TRUE(LikePattern("%a%a%").Matches("banana"));
  EXPECT_FALSE(LikePattern("%x%").Matches("banana"));
  EXPECT_TRUE(LikePattern("_").Matches("\xc3\xa9"));
  EXPECT_FALSE(LikePattern("__").Matches("\xc3\xa9"));
  EXPECT_TRUE(LikePattern("%").Matches(""));
  EXPECT_FALSE(LikePattern("_").Matches(""));
}

}  // namespace
}  // namespace sluice
