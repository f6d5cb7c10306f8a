#include "sluice/base/check.h"

#include <unistd.h>

#include <cstdlib>

namespace sluice::check_internal {

void Fail(std::string_view expression, std::string_view detail, const char* file, int line) {
  std::string report = fmt::format("sluice: check failed at {}:{}: {}", file, line, expression);
  if (!detail.empty()) report += fmt::format(" ({})", detail);
  report += '\n';
  // One write so that concurrent failures do not interleave.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, report.data(), report.size());
  std::abort();
}

}  // namespace sluice::check_internal
