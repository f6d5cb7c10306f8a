#include "sluice/ops/key_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sluice/table/builder.h"
#include "sluice/table/equal.h"

namespace sluice {
namespace {

TEST(KeyEncoderTest, EqualKeysForSqlEqualValuesAndDistinctOtherwise) {
  Float64Builder f;
  f.Append(0.0);
  f.Append(-0.0);
  f.Append(std::nan("1"));
  f.Append(-std::numeric_limits<double>::quiet_NaN());
  f.AppendNull();
  f.Append(1.5);
  StringBuilder s;
  s.Append("a");
  s.Append("a");
  s.Append("");
  s.Append("");
  s.AppendNull();
  s.Append("");
  Array fa = f.Finish();
  Array sa = s.Finish();
  KeyEncoder enc({DataType::Float64(), DataType::String()});
  const Array* cols[] = {&fa, &sa};
  enc.Encode(cols);
  ASSERT_EQ(enc.num_rows(), 6);
  EXPECT_EQ(enc.key(0), enc.key(1));  // -0.0 groups with 0.0
  EXPECT_EQ(enc.key(2), enc.key(3));  // every NaN groups together
  EXPECT_NE(enc.key(4), enc.key(5));  // null differs from a value
  EXPECT_NE(enc.key(0), enc.key(2));
}

TEST(KeyEncoderTest, NullAndEmptyStringAndAdjacentColumnsDoNotCollide) {
  // ("ab", "c") and ("a", "bc") must differ: lengths are part of the key.
  StringBuilder a;
  StringBuilder b;
  a.Append("ab");
  b.Append("c");
  a.Append("a");
  b.Append("bc");
  a.AppendNull();
  b.Append("");
  a.Append("");
  b.Append("");
  Array aa = a.Finish();
  Array ba = b.Finish();
  KeyEncoder enc({DataType::String(), DataType::String()});
  const Array* cols[] = {&aa, &ba};
  enc.Encode(cols);
  EXPECT_NE(enc.key(0), enc.key(1));
  EXPECT_NE(enc.key(2), enc.key(3));
}

TEST(KeyEncoderTest, DecodeRoundTripsEveryLayout) {
  Int64Builder i;
  UInt8Builder u;
  BoolBuilder bo;
  StringBuilder s;
  FixedWidthBuilder<int32_t> d(DataType::Date32());
  for (int r = 0; r < 2000; ++r) {  // several decode chunks
    if (r % 7 == 3) {
      i.AppendNull();
    } else {
      i.Append(r * 1000003LL - 7);
    }
    u.Append(static_cast<uint8_t>(250 + r % 6));
    if (r % 5 == 0) {
      bo.AppendNull();
    } else {
      bo.Append(r % 2 == 0);
    }
    s.Append(std::string(static_cast<size_t>(r % 4 + (r > 1000 ? 40 : 0)),
                         static_cast<char>('a' + r % 26)));
    d.Append(r - 25);
  }
  std::vector<Array> in = {i.Finish(), u.Finish(), bo.Finish(), s.Finish(), d.Finish()};
  std::vector<DataType> types;
  std::vector<const Array*> ptrs;
  for (const Array& a : in) {
    types.push_back(a.type());
    ptrs.push_back(&a);
  }
  KeyEncoder enc(types);
  enc.Encode(ptrs);
  std::vector<std::string_view> keys;
  for (int64_t r = 0; r < enc.num_rows(); ++r) keys.push_back(enc.key(r));
  std::vector<Array> out = enc.Decode(keys);
  ASSERT_EQ(out.size(), in.size());
  for (size_t c = 0; c < in.size(); ++c) {
    EXPECT_TRUE(ArrayEquals(in[c], out[c])) << "column " << c;
  }
}

}  // namespace
}  // namespace sluice
