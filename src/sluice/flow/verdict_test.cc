#include "sluice/flow/verdict.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(VerdictTest, Placeholder) { EXPECT_EQ(ComputeVerdict({}).bottleneck, ""); }

}  // namespace
}  // namespace sluice
