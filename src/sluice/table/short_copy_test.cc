#include "sluice/table/short_copy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace sluice {
namespace {

// Every length up to past the block paths (64 bytes), with the two values differing at each
// position in turn (first, middle, last byte: the overlapping loads must all see it).
TEST(ShortCopyTest, CopiesAndComparesEveryLengthLikeTheLibrary) {
  for (size_t n = 0; n <= 80; ++n) {
    std::vector<uint8_t> in(n), out(n + 8, 0xAB);
    for (size_t i = 0; i < n; ++i) in[i] = static_cast<uint8_t>(i * 7 + 1);
    CopyShort(out.data(), in.data(), n);
    EXPECT_EQ(std::memcmp(out.data(), in.data(), n), 0) << n;
    EXPECT_EQ(out[n], 0xAB) << "wrote past " << n;
    EXPECT_TRUE(EqualShort(in.data(), out.data(), n)) << n;
    for (size_t at = 0; at < n; ++at) {
      std::vector<uint8_t> other = in;
      other[at] ^= 0x10;
      EXPECT_FALSE(EqualShort(in.data(), other.data(), n)) << n << " at " << at;
    }
  }
}

}  // namespace
}  // namespace sluice
