#include "sluice/flow/report_file.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "sluice/base/atomic_file.h"
#include "sluice/flow/html_report.h"

namespace sluice {

bool IsHtmlReportPath(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends_with = [&](const std::string& suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".html") || ends_with(".htm");
}

void WriteReportFile(const nlohmann::json& document, const std::string& path) {
  WriteFileAtomically(path,
                      IsHtmlReportPath(path) ? HtmlReport(document) : document.dump(2) + "\n");
}

}  // namespace sluice
