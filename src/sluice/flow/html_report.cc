#include "sluice/flow/html_report.h"

#include <nlohmann/json.hpp>

#include "sluice/base/check.h"
#include "sluice/flow/report_page_assets.h"

namespace sluice {
namespace {

using flow_internal::kReportPageCss;
using flow_internal::kReportPageHtml;
using flow_internal::kReportPageJs;
using flow_internal::kUplotCss;
using flow_internal::kUplotJs;

// Replaces the one "{{name}}" in the page's skeleton.
void Fill(std::string& page, std::string_view name, std::string_view value) {
  const std::string marker = "{{" + std::string(name) + "}}";
  const size_t at = page.find(marker);
  SLUICE_CHECK_NE(at, std::string::npos);  // report.html has each marker once
  page.replace(at, marker.size(), value);
}

}  // namespace

std::string JsonForScriptElement(const nlohmann::json& document) {
  // Invalid UTF-8 in a name or path is replaced rather than failing the whole report.
  std::string text = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string HtmlReport(const nlohmann::json& document) {
  std::string page(kReportPageHtml);
  // Filled in this order, so a value (the report's JSON last) is never searched for markers.
  Fill(page, "uplot_css", kUplotCss);
  Fill(page, "report_css", kReportPageCss);
  Fill(page, "uplot_js", kUplotJs);
  Fill(page, "report_js", kReportPageJs);
  Fill(page, "report_json", JsonForScriptElement(document));
  return page;
}

}  // namespace sluice
