#include "sluice/flow/json_file.h"

#include <nlohmann/json.hpp>

#include "sluice/base/atomic_file.h"

namespace sluice {

void WriteJsonFile(const nlohmann::json& document, const std::string& path) {
  WriteFileAtomically(path, document.dump(2) + "\n");
}

}  // namespace sluice
