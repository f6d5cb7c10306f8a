#include "sluice/io/fs/retry_policy.h"

#include <gtest/gtest.h>

namespace sluice::fs {
namespace {

TEST(RetryPolicy, RetryableStatuses) {
  for (long status : {429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableHttpStatus(status));
  for (long status : {200, 206, 301, 400, 403, 404, 409, 412, 416}) {
    EXPECT_FALSE(IsRetryableHttpStatus(status)) << status;
  }
}

TEST(RetryPolicy, FullJitterStaysUnderTheExponentialCap) {
  RetryPolicy policy{.base_delay = std::chrono::milliseconds(100),
                     .max_delay = std::chrono::milliseconds(1000)};
  for (int retry = 1; retry <= 40; ++retry) {
    int64_t cap = std::min<int64_t>(1000, int64_t{100} << std::min(retry - 1, 30));
    int64_t largest = 0;
    for (int i = 0; i < 200; ++i) {
      int64_t delay = BackoffDelay(policy, retry).count();
      EXPECT_GE(delay, 0);
      EXPECT_LE(delay, cap);
      largest = std::max(largest, delay);
    }
    EXPECT_GT(largest, cap / 2);  // jitter spreads over the whole window
  }
}

}  // namespace
}  // namespace sluice::fs
