#include "sluice/base/temp_path.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>

namespace sluice {

std::string TemporaryPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path target(path);
  const std::string name = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                           "-" + std::to_string(counter.fetch_add(1));
  return (target.parent_path() / name).string();
}

}  // namespace sluice
