// RetryPolicy: when and how long to wait before trying a request to an object store again.
// Exponential backoff with full jitter (the delay before attempt n is uniform in
// [0, min(max_delay, base_delay * 2^n)]), so many clients throttled at once spread out instead of
// retrying in lockstep; a deadline bounds one operation's retries as a whole.
//
// Thread safety: a RetryPolicy is a value; BackoffDelay draws from a per-thread generator.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice::fs {

struct RetryPolicy {
  int max_attempts = 10;
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{5'000};
  // One operation (all its attempts and waits) gives up after this long.
  std::chrono::milliseconds operation_deadline{10 * 60'000};
};

// 429 Too Many Requests, 500, 502, 503 (SlowDown), 504: the store may answer differently later.
bool IsRetryableHttpStatus(long status);

// The wait before retry number `retry` (1 for the first retry).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry);

}  // namespace sluice::fs
