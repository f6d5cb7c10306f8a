#include "sluice/flow/autoscaler.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(AutoscalerTest, Placeholder) {
  EXPECT_EQ(NextConcurrency({.current = 2, .min = 2, .max = 2}), 2);
}

}  // namespace
}  // namespace sluice
