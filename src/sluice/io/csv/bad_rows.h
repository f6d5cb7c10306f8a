// Bad rows: what happens to a malformed row (unterminated quote, wrong field count, a value
// that does not parse as its column's type). Under kError the row's InvalidData error (file,
// line, column, text) is thrown; under kSkip it is counted and the first few are kept for the
// report.
//
// Thread safety: BadRowLog may be shared by all parsing threads (one mutex, taken only for
// bad rows).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/base/error.h"

namespace sluice::csv {

enum class BadRowPolicy { kError, kSkip };

class BadRowLog {
 public:
  BadRowLog(BadRowPolicy policy, size_t keep) : policy_(policy), keep_(keep) {}
  // Throws `error` under kError; otherwise counts it.
  void Handle(Error error);
  int64_t count() const;
  std::vector<std::string> examples() const;
  BadRowPolicy policy() const { return policy_; }

 private:
  const BadRowPolicy policy_;
  const size_t keep_;
  mutable std::mutex mu_;
  int64_t count_ = 0;                  // guarded by mu_
  std::vector<std::string> examples_;  // guarded by mu_
};

}  // namespace sluice::csv
