// WriteJsonFile: a JSON document written under a temporary name and renamed onto its path, so a
// reader (a dashboard polling a report) never sees half of one.
//
// Thread safety: pure function; concurrent writers to one path leave one complete document.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace sluice {

// Throws IoError naming the file when it cannot be written.
void WriteJsonFile(const nlohmann::json& document, const std::string& path);

}  // namespace sluice
