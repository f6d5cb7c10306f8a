#include "sluice/ops/join/join_plan.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

Schema Left() {
  return Schema(
      {{"id", DataType::Int32()}, {"name", DataType::String()}, {"v", DataType::Int64()}});
}
Schema Right() {
  return Schema(
      {{"v", DataType::Float64()}, {"id", DataType::UInt32()}, {"name", DataType::String()}});
}

JoinSpec On(std::vector<std::string> keys, JoinKind kind = JoinKind::kInner) {
  JoinSpec spec;
  spec.left_keys = std::move(keys);
  spec.kind = kind;
  return spec;
}

TEST(JoinPlanTest, KeysOnceInLeftPositionsThenRightColumnsWithSuffixes) {
  JoinPlan plan(Left(), Right(), On({"id", "name"}, JoinKind::kFull));
  const Schema& out = *plan.output_schema();
  ASSERT_EQ(out.num_fields(), 4);
  EXPECT_EQ(out.field(0).name, "id");
  EXPECT_EQ(out.field(0).type, DataType::Int64());  // int32 against uint32
  EXPECT_EQ(out.field(1).name, "name");
  EXPECT_EQ(out.field(2).name, "v");
  EXPECT_EQ(out.field(3).name, "v_right");
  EXPECT_EQ(out.field(3).type, DataType::Float64());
  EXPECT_EQ(plan.output_columns()[0].key, 0);  // a full join coalesces its keys
  EXPECT_EQ(plan.key_columns(JoinSide::kRight), (std::vector<int>{1, 2}));
  JoinPlan inner(Left(), Right(), On({"id"}));
  EXPECT_EQ(inner.output_columns()[0].key, -1);  // the left key is the key
  EXPECT_EQ(inner.output_schema()->num_fields(), 5);
  EXPECT_EQ(inner.output_schema()->field(4).name, "name_right");
  JoinPlan semi(Left(), Right(), On({"id"}, JoinKind::kSemi));
  EXPECT_EQ(*semi.output_schema(), *semi.input_schema(JoinSide::kLeft));
}

TEST(JoinPlanTest, NormalizeWidensIntegerKeysKeepingNulls) {
  JoinPlan plan(Left(), Right(), On({"id"}));
  UInt32Builder id;
  id.Append(7);
  id.AppendNull();
  id.Append(4000000000u);
  Float64Builder v;
  StringBuilder name;
  for (int i = 0; i < 3; ++i) {
    v.Append(i);
    name.Append("x");
  }
  RecordBatch batch = RecordBatch::Make(Right(), {v.Finish(), id.Finish(), name.Finish()});
  RecordBatch normal = plan.Normalize(JoinSide::kRight, batch.Slice(1, 2));
  EXPECT_EQ(normal.column(1).type(), DataType::Int64());
  EXPECT_TRUE(normal.column(1).IsNull(0));
  EXPECT_EQ(normal.column(1).Value<int64_t>(1), 4000000000);
}

TEST(JoinPlanTest, ErrorsNameTheColumnsAndTypes) {
  try {
    JoinPlan(Left(), Right(), On({"nope"}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
  try {
    JoinSpec spec = On({"v"});
    JoinPlan(Left(), Right(), spec);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    const std::string what = e.what();
    EXPECT_NE(what.find("'v' is int64"), std::string::npos) << what;
    EXPECT_NE(what.find("'v' is float64"), std::string::npos) << what;
  }
  Schema big({{"id", DataType::UInt64()}});
  EXPECT_THROW(JoinPlan(Left(), big, On({"id"})), Error);
  EXPECT_THROW(ParseJoinKind("cross"), Error);
  EXPECT_EQ(ParseJoinKind("outer"), JoinKind::kFull);
}

}  // namespace
}  // namespace sluice
