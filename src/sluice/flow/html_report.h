// HtmlReport: a report document as one self-contained HTML page that opens offline: the page
// (report_page/), uPlot and the document itself are inlined, and the page's script draws, on a
// shared time axis, every pipeline run found in the document (an object with "stages" and
// "verdict", as RunReport::ToJson writes it, at any depth: a group-by's scan and merge, a join's
// phases): per stage the busy / backpressured / idle / waiting shares and concurrency, items and
// bytes out per second, queue depths, memory in use against the budget beside the process's RSS,
// the verdict with its stage highlighted, and the final table.
//
// Thread safety: pure function.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace sluice {

std::string HtmlReport(const nlohmann::json& document);

// The document as the text of a <script type="application/json"> element: "</" written "<\/"
// (the same string to JSON.parse), so no string in it can close the element.
std::string JsonForScriptElement(const nlohmann::json& document);

}  // namespace sluice
