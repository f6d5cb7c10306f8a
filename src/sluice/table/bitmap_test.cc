#include "sluice/table/bitmap.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

// SetBits sets exactly [offset, offset + length), however the range meets byte boundaries, and
// CountSetBits and CopyBits agree with it.
TEST(BitmapTest, SetBitsSetsExactlyTheRange) {
  for (int64_t offset : {0, 3, 8, 13}) {
    for (int64_t length : {0, 1, 5, 8, 11, 24, 37}) {
      std::vector<uint8_t> bits(16, 0);
      SetBits(bits.data(), offset, length);
      for (int64_t i = 0; i < 128; ++i) {
        EXPECT_EQ(GetBit(bits.data(), i), i >= offset && i < offset + length)
            << offset << " " << length << " " << i;
      }
      EXPECT_EQ(CountSetBits(bits.data(), 0, 128), length);
      std::vector<uint8_t> copy(16, 0);
      CopyBits(bits.data(), offset, length, copy.data(), 1);
      EXPECT_EQ(CountSetBits(copy.data(), 1, length), length);
    }
  }
}

}  // namespace
}  // namespace sluice
