// WriteReportFile: a run report written where --report says, as the extension asks: a
// self-contained HTML page for ".html" (html_report.h), else the JSON document itself. Written
// under a temporary name and renamed onto its path, so a reader (a dashboard polling a report)
// never sees half of one.
//
// Thread safety: pure function; concurrent writers to one path leave one complete document.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace sluice {

// True when `path` asks for the HTML page (ends in ".html" or ".htm", any case).
bool IsHtmlReportPath(const std::string& path);

// Throws IoError naming the file when it cannot be written.
void WriteReportFile(const nlohmann::json& document, const std::string& path);

}  // namespace sluice
