#include "sluice/ops/aggregate.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice {
namespace {

TEST(AggregateCallTest, ParsesCallsArgumentsAndAliases) {
  auto calls = ParseAggregateCalls("sum(v1), MEAN( v3 ) as m,count(*),corr(v1,v2)");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].function, "sum");
  EXPECT_EQ(calls[0].columns, std::vector<std::string>{"v1"});
  EXPECT_EQ(calls[0].name, "sum(v1)");
  EXPECT_EQ(calls[1].function, "mean");
  EXPECT_EQ(calls[1].name, "m");
  EXPECT_TRUE(calls[2].columns.empty());
  EXPECT_EQ(calls[2].name, "count(*)");
  EXPECT_EQ(calls[3].columns, (std::vector<std::string>{"v1", "v2"}));
}

TEST(AggregateCallTest, BadExpressionsAreNamedInTheError) {
  for (const std::string text : {"sum(v1", "sum v1", "sum(*)", "sum(v1),", "sum(a b)", "(v1)"}) {
    try {
      ParseAggregateCalls(text);
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument) << text;
    }
  }
  try {
    ParseAggregateCalls("sum(v1), sum(v2 v3)");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sum(v2 v3)"), std::string::npos) << e.what();
  }
}

TEST(AggregateCallTest, UnknownFunctionsWrongArityAndWrongTypesAreErrors) {
  const DataType str = DataType::String();
  const DataType i64 = DataType::Int64();
  auto make = [](const std::string& text, std::vector<DataType> types) {
    return MakeAggregator(ParseAggregateCalls(text)[0], types);
  };
  try {
    make("bogus(x)", {i64});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
  EXPECT_THROW(make("corr(x)", {i64}), Error);
  try {
    make("sum(name)", {str});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotSupported);
    EXPECT_NE(std::string(e.what()).find("name"), std::string::npos);
  }
  EXPECT_EQ(make("max(name)", {str})->output_type(), str);
  EXPECT_EQ(make("sum(x)", {DataType::Int32()})->output_type(), i64);
  EXPECT_EQ(make("median(x)", {DataType::Int32()})->output_type(), DataType::Float64());
}

}  // namespace
}  // namespace sluice
