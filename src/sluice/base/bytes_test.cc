#include "sluice/base/bytes.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice {
namespace {

TEST(BytesTest, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseBytes("256MiB"), 256_MiB);
  EXPECT_EQ(ParseBytes("4GiB"), 4_GiB);
  EXPECT_EQ(ParseBytes("4g"), 4_GiB);
  EXPECT_EQ(ParseBytes("1.5 GB"), 1'500'000'000);
  EXPECT_EQ(ParseBytes(" 1024 "), 1024);
  EXPECT_EQ(ParseBytes("10kb"), 10'000);
  EXPECT_EQ(ParseBytes("0.5KiB"), 512);
  EXPECT_EQ(ParseBytes("2TiB"), 2 * 1024 * 1_GiB);
}

TEST(BytesTest, RejectsGarbageNamingTheText) {
  for (const char* bad : {"", "MiB", "12 parsecs", "-5MiB", "1e3", "99999999999TiB"}) {
    try {
      ParseBytes(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos);
    }
  }
}

TEST(BytesTest, FormatsHumanReadable) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(64_MiB), "64.0 MiB");
  EXPECT_EQ(FormatBytes(-2_GiB), "-2.00 GiB");
}

}  // namespace
}  // namespace sluice
