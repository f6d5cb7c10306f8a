#include "sluice/flow/run_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/flow/report_file.h"

namespace sluice {
namespace {

nlohmann::json TimesJson(const StageTimes& t) {
  return {{"busy_ms", std::lround(t.busy_ms)},
          {"backpressured_ms", std::lround(t.backpressured_ms)},
          {"idle_ms", std::lround(t.idle_ms)},
          {"waiting_ms", std::lround(t.waiting_ms)}};
}

nlohmann::json CountersJson(const StageCounters& c) {
  return {{"items_in", c.items_in},
          {"items_out", c.items_out},
          {"bytes_in", c.bytes_in},
          {"bytes_out", c.bytes_out}};
}

// "cpu pool busy 40% of 8 threads (12.5 cpu s), io pool 15.8 cpu s": the I/O pool's threads run
// outside the CPU pool's slots, so the busy share alone would call a run of I/O stages idle.
std::string CpuLine(const RunReport& r) {
  double cpu_pool = 0, io_pool = 0;
  bool any_io = false;
  for (const StageReport& s : r.stages) {
    (s.io ? io_pool : cpu_pool) += s.cpu_seconds;
    any_io = any_io || s.io;
  }
  std::string line = fmt::format("cpu pool busy {}% of {} threads ({:.1f} cpu s)",
                                 Percent(r.cpu_busy), r.cpu_threads, cpu_pool);
  if (any_io) line += fmt::format(", io pool {:.1f} cpu s", io_pool);
  return line;
}

}  // namespace

StageTimes operator-(const StageTimes& a, const StageTimes& b) {
  StageTimes d;
  d.busy_ms = a.busy_ms - b.busy_ms;
  d.backpressured_ms = a.backpressured_ms - b.backpressured_ms;
  d.idle_ms = a.idle_ms - b.idle_ms;
  d.waiting_ms = a.waiting_ms - b.waiting_ms;
  return d;
}

StageCounters operator-(const StageCounters& a, const StageCounters& b) {
  return {a.items_in - b.items_in, a.items_out - b.items_out, a.bytes_in - b.bytes_in,
          a.bytes_out - b.bytes_out};
}

const StageReport* RunReport::Stage(const std::string& name) const {
  for (const StageReport& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

nlohmann::json RunReport::ToJson() const {
  nlohmann::json stages_json = nlohmann::json::array();
  for (const StageReport& s : stages) {
    nlohmann::json seconds_json = nlohmann::json::array();
    for (const StageSecond& sec : s.seconds) {
      nlohmann::json row = TimesJson(sec.times);
      row.update(CountersJson(sec.counters));
      row["t"] = std::round(sec.end_seconds * 1000) / 1000;
      row["queue_items"] = sec.queue_items;
      row["queue_bytes"] = sec.queue_bytes;
      row["concurrency"] = sec.concurrency;
      seconds_json.push_back(std::move(row));
    }
    nlohmann::json stage = {{"name", s.name},
                            {"type", s.type},
                            {"pool", s.io ? "io" : "cpu"},
                            {"times", TimesJson(s.times)},
                            {"counters", CountersJson(s.counters)},
                            {"busy_fraction", s.times.busy()},
                            {"backpressured_fraction", s.times.backpressured()},
                            {"idle_fraction", s.times.idle()},
                            {"waiting_fraction", s.times.waiting()},
                            {"busy_seconds", s.busy_seconds},
                            {"cpu_seconds", s.cpu_seconds},
                            {"min_concurrency", s.min_concurrency},
                            {"max_concurrency", s.max_concurrency},
                            {"final_concurrency", s.final_concurrency},
                            {"peak_concurrency", s.peak_concurrency},
                            {"overdrafts", s.overdrafts},
                            {"borrows", s.borrows},
                            {"early_flushes", s.early_flushes},
                            {"per_second", std::move(seconds_json)}};
    if (s.io) stage["resource"] = s.resource;
    stages_json.push_back(std::move(stage));
  }
  nlohmann::json hung = nlohmann::json::array();
  for (const HungTask& h : hung_tasks) {
    hung.push_back({{"stage", h.stage},
                    {"item", h.item},
                    {"running_seconds", h.running_seconds},
                    {"typical_ms", h.typical_ms}});
  }
  nlohmann::json memory_json = nlohmann::json::array();
  for (const MemorySecond& m : memory) {
    memory_json.push_back({{"t", std::round(m.end_seconds * 1000) / 1000},
                           {"accounted_bytes", m.accounted_bytes},
                           {"rss_bytes", m.rss_bytes}});
  }
  nlohmann::json starved = nlohmann::json::object();
  for (const auto& [name, f] : verdict.starved) starved[name] = f;
  nlohmann::json backed_up = nlohmann::json::object();
  for (const auto& [name, f] : verdict.backed_up) backed_up[name] = f;
  return {{"pipeline", pipeline},
          {"wall_seconds", wall_seconds},
          {"cpu_threads", cpu_threads},
          {"cpu_busy_fraction", cpu_busy},
          {"memory_budget_bytes", memory_budget},
          {"peak_memory_bytes", peak_memory},
          {"overdrafts", overdrafts},
          {"process_budget_bytes", process_budget},
          {"peak_rss_bytes", peak_rss},
          {"memory_seconds", std::move(memory_json)},
          {"stages", std::move(stages_json)},
          {"hung_tasks", std::move(hung)},
          {"warnings", warnings},
          {"verdict",
           {{"bottleneck", verdict.bottleneck},
            {"bottleneck_busy_fraction", verdict.bottleneck_busy},
            {"starved", std::move(starved)},
            {"backed_up", std::move(backed_up)},
            {"text", verdict.text}}}};
}

void RunReport::Write(const std::string& path) const { WriteReportFile(ToJson(), path); }

std::string RunReport::Summary() const {
  std::string out = fmt::format(
      "{:<12} {:>5} {:>10} {:>10} {:>10} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7}\n", "stage", "pool",
      "items in", "items out", "bytes out", "busy", "bp", "idle", "wait", "conc", "cpu s");
  for (const StageReport& s : stages) {
    out += fmt::format(
        "{:<12} {:>5} {:>10} {:>10} {:>10} {:>4}% {:>4}% {:>4}% {:>4}% {:>6} {:>7.2f}\n", s.name,
        s.io ? "io" : "cpu", s.counters.items_in, s.counters.items_out,
        FormatBytes(s.counters.bytes_out), Percent(s.times.busy()),
        Percent(s.times.backpressured()), Percent(s.times.idle()), Percent(s.times.waiting()),
        fmt::format("{}/{}", s.final_concurrency, s.peak_concurrency), s.cpu_seconds);
  }
  out +=
      fmt::format("wall {:.2f} s, {}, peak memory {} of {}, RSS {}", wall_seconds, CpuLine(*this),
                  FormatBytes(peak_memory), FormatBytes(memory_budget), FormatBytes(peak_rss));
  if (overdrafts > 0) out += fmt::format(" ({} overdrafts)", overdrafts);
  out += '\n';
  for (const HungTask& h : hung_tasks) {
    out += fmt::format("hung: stage {} ran {:.1f} s on {} (typical {:.1f} ms)\n", h.stage,
                       h.running_seconds, h.item.empty() ? "an item" : h.item, h.typical_ms);
  }
  out += verdict.text;
  out += '\n';
  return out;
}

}  // namespace sluice
