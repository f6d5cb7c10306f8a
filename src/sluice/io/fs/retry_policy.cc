#include "sluice/io/fs/retry_policy.h"

#include <algorithm>
#include <random>

namespace sluice::fs {

bool IsRetryableHttpStatus(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  int shift = std::clamp(retry - 1, 0, 30);
  int64_t cap = std::min<int64_t>(policy.max_delay.count(), policy.base_delay.count() << shift);
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(cap, 0));
  return std::chrono::milliseconds(pick(random));
}

}  // namespace sluice::fs
