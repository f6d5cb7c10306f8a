#include "sluice/table/printer.h"

#include <gtest/gtest.h>

#include "sluice/table/builder.h"

namespace sluice {
namespace {

TEST(PrinterTest, FormatsEveryKindOfValue) {
  Int32Builder dates(DataType::Date32());
  dates.Append(0);
  dates.Append(19753);
  dates.Append(-1);
  Array d = dates.Finish();
  EXPECT_EQ(FormatValue(d, 0), "1970-01-01");
  EXPECT_EQ(FormatValue(d, 1), "2024-01-31");
  EXPECT_EQ(FormatValue(d, 2), "1969-12-31");

  Int64Builder micros(DataType::Timestamp(TimeUnit::kMicro, "UTC"));
  micros.Append(1706704496123456);
  micros.Append(-1);
  micros.Append(1706704496000000);
  Array t = micros.Finish();
  EXPECT_EQ(FormatValue(t, 0), "2024-01-31 12:34:56.123456");
  EXPECT_EQ(FormatValue(t, 1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(FormatValue(t, 2), "2024-01-31 12:34:56");

  Decimal128Builder decimals(DataType::Decimal128(10, 2));
  decimals.Append(Decimal128::FromInt128(-1230));
  EXPECT_EQ(FormatValue(decimals.Finish(), 0), "-12.30");

  BinaryBuilder blobs(DataType::Binary());
  blobs.Append(std::string("\x00\xff", 2));
  EXPECT_EQ(FormatValue(blobs.Finish(), 0), "0x00ff");

  StringBuilder strings;
  strings.Append("a\tb\n\x01");
  strings.AppendNull();
  Array s = strings.Finish();
  EXPECT_EQ(FormatValue(s, 0), "a\\tb\\n\\x01");
  EXPECT_EQ(ToString(s), "[\"a\\tb\\n\\x01\", null]");

  Float64Builder floats;
  floats.Append(0.1);
  floats.Append(1e300);
  EXPECT_EQ(ToString(floats.Finish()), "[0.1, 1e+300]");

  BoolBuilder bools;
  bools.Append(true);
  bools.Append(false);
  EXPECT_EQ(ToString(bools.Finish()), "[true, false]");
}

TEST(PrinterTest, BatchIsAnAlignedTable) {
  Int64Builder ids;
  ids.Append(1);
  ids.AppendNull();
  ids.Append(300);
  StringBuilder names;
  names.Append("alice");
  names.Append("bob");
  names.Append("a rather long name that will be cut short");
  RecordBatch batch =
      RecordBatch::Make(Schema({{"id", DataType::Int64()}, {"name", DataType::String()}}),
                        {ids.Finish(), names.Finish()});
  EXPECT_EQ(ToString(batch, {.max_rows = 2, .max_width = 10}),
            "id: int64 | name: string\n"
            "----------+-------------\n"
            "        1 | alice\n"
            "     null | bob\n"
            "... 1 more rows\n"
            "(3 rows)\n");
  EXPECT_EQ(ToString(batch.column(1), {.max_rows = 5, .max_width = 10}),
            "[\"alice\", \"bob\", \"a rathe...\"]");
}

}  // namespace
}  // namespace sluice
