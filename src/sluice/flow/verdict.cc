#include "sluice/flow/verdict.h"

#include <fmt/format.h>

#include <cmath>

namespace sluice {
namespace {

// Time waiting for a core is not work of the stage's own: it means the cores were busy with
// other stages, which are then the ones to name.
double Working(const StageTimes& t) { return t.busy(); }

}  // namespace

Verdict ComputeVerdict(const std::vector<StageReport>& stages) {
  Verdict v;
  int last_backpressured = -1;
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageTimes& t = stages[i].times;
    if (t.total() <= 0) continue;
    if (t.backpressured() >= kVerdictBackpressured) {
      last_backpressured = static_cast<int>(i);
      v.backed_up.emplace_back(stages[i].name, t.backpressured());
    }
    if (t.idle() >= kVerdictStarved) v.starved.emplace_back(stages[i].name, t.idle());
  }
  int bottleneck = -1;
  if (last_backpressured >= 0) {
    for (size_t i = last_backpressured + 1; i < stages.size(); ++i) {
      const StageTimes& t = stages[i].times;
      if (t.backpressured() < kVerdictBackpressured && Working(t) >= kVerdictBusy) {
        bottleneck = static_cast<int>(i);
        break;
      }
    }
  } else {
    double best = 0;
    for (size_t i = 0; i < stages.size(); ++i) {
      double working = Working(stages[i].times);
      if (working >= kVerdictBusy && working > best) {
        best = working;
        bottleneck = static_cast<int>(i);
      }
    }
  }
  std::string text;
  if (bottleneck >= 0) {
    v.bottleneck = stages[bottleneck].name;
    v.bottleneck_busy = Working(stages[bottleneck].times);
    text = fmt::format("bottleneck: {} (busy {}%)", v.bottleneck, Percent(v.bottleneck_busy));
  } else {
    text = "bottleneck: none (no stage was busy most of the time)";
  }
  for (const auto& [name, idle] : v.starved) {
    if (name == v.bottleneck) continue;
    text += fmt::format(", {} starved {}% of the time", name, Percent(idle));
  }
  for (const auto& [name, bp] : v.backed_up) {
    text += fmt::format(", {} backed up {}% of the time", name, Percent(bp));
  }
  v.text = std::move(text);
  return v;
}

}  // namespace sluice
