// The HTML report's page and the charting library it draws with, embedded into the binary at
// build time (cmake/EmbedFiles.cmake writes report_page_assets.cc from report_page/ and from
// node_modules/uplot, pinned by package-lock.json).
//
// Thread safety: constants.
#pragma once

#include <string_view>

namespace sluice::flow_internal {

extern const std::string_view kReportPageHtml;  // report_page/report.html: the page's skeleton
extern const std::string_view kReportPageCss;   // report_page/report.css
extern const std::string_view kReportPageJs;    // report_page/report.js: draws the charts
extern const std::string_view kUplotCss;        // uPlot.min.css
extern const std::string_view kUplotJs;         // uPlot.iife.min.js (defines window.uPlot)

}  // namespace sluice::flow_internal
