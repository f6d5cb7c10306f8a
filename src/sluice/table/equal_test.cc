#include "sluice/table/equal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sluice/table/builder.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

TEST(EqualTest, IgnoresOffsetsAndBytesUnderNulls) {
  Int32Builder a;
  a.Append(9);
  a.Append(1);
  a.AppendNull();
  Array left = a.Finish().Slice(1, 2);
  Int32Builder b;
  b.Append(1);
  b.AppendNull();
  Array right = b.Finish();
  EXPECT_EQ(left, right);
  Int32Builder c;
  c.Append(1);
  c.Append(0);
  EXPECT_FALSE(ArrayEquals(left, c.Finish()));  // a null is not a zero
}

TEST(EqualTest, DetectsEveryKindOfDifference) {
  RecordBatch batch = MakeSampleBatch(30);
  EXPECT_EQ(batch, MakeSampleBatch(30));
  EXPECT_FALSE(RecordBatchEquals(batch, MakeSampleBatch(31)));
  EXPECT_FALSE(RecordBatchEquals(batch.Slice(0, 10), batch.Slice(1, 10)));
  for (int c = 0; c < batch.num_columns(); ++c) {
    EXPECT_FALSE(ArrayEquals(batch.column(c).Slice(0, 10), batch.column(c).Slice(10, 10)))
        << batch.schema().field(c).name;
  }
  Int32Builder x;
  x.Append(1);
  Int64Builder y;
  y.Append(1);
  EXPECT_FALSE(ArrayEquals(x.Finish(), y.Finish()));
}

TEST(EqualTest, NaNEqualsNaN) {
  Float32Builder a;
  a.Append(std::numeric_limits<float>::quiet_NaN());
  a.Append(-0.0f);
  Float32Builder b;
  b.Append(std::numeric_limits<float>::quiet_NaN());
  b.Append(0.0f);
  EXPECT_EQ(a.Finish(), b.Finish());
}

}  // namespace
}  // namespace sluice
