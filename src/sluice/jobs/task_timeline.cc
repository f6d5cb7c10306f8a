#include "sluice/jobs/task_timeline.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::jobs {
namespace {

using json = nlohmann::json;

int64_t Ms(ledger::Timestamp t) { return t.time_since_epoch().count(); }

struct Attempt {
  std::string partition;
  int64_t attempt = 0;
  std::string worker;
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;
  std::string outcome = "running";
  std::string error;
};

std::vector<ledger::PartitionRecord> AllPartitions(ledger::Ledger& ledger, ledger::JobId job) {
  std::vector<ledger::PartitionRecord> all;
  for (;;) {
    ledger::PartitionQuery query;
    query.after_id = all.empty() ? 0 : all.back().id;
    std::vector<ledger::PartitionRecord> page = ledger.ListPartitions(job, query);
    if (page.empty()) return all;
    for (auto& p : page) all.push_back(std::move(p));
  }
}

std::vector<ledger::EventRecord> AllEvents(ledger::Ledger& ledger, ledger::JobId job) {
  std::vector<ledger::EventRecord> all;
  for (;;) {
    std::vector<ledger::EventRecord> page = ledger.ReadEvents(job, all.empty() ? 0 : all.back().id);
    if (page.empty()) return all;
    for (auto& e : page) all.push_back(std::move(e));
  }
}

json Detail(const ledger::EventRecord& e) {
  json detail = json::parse(e.detail_json, nullptr, /*allow_exceptions=*/false);
  return detail.is_object() ? detail : json::object();
}

// Every attempt in claim order. An attempt still running when its partition is claimed again
// lost its lease (its worker died or hung): it ends there, "expired".
std::vector<Attempt> ReadAttempts(const std::vector<ledger::EventRecord>& events,
                                  const std::map<ledger::PartitionId, std::string>& keys) {
  std::vector<Attempt> attempts;
  std::map<std::pair<ledger::PartitionId, int64_t>, size_t> index;
  std::map<ledger::PartitionId, size_t> open;  // the partition's attempt still running
  for (const ledger::EventRecord& e : events) {
    if (!e.partition_id || !e.attempt) continue;
    const auto id = std::make_pair(*e.partition_id, *e.attempt);
    const int64_t at = Ms(e.at);
    if (e.kind == "claimed") {
      if (auto it = open.find(id.first); it != open.end()) {
        attempts[it->second].end_ms = at;
        attempts[it->second].outcome = "expired";
      }
      const auto key = keys.find(id.first);
      attempts.push_back({.partition = key == keys.end() ? "" : key->second,
                          .attempt = id.second,
                          .worker = Detail(e).value("owner", ""),
                          .start_ms = at});
      index[id] = open[id.first] = attempts.size() - 1;
      continue;
    }
    const auto it = index.find(id);
    if (it == index.end() || attempts[it->second].end_ms) continue;
    Attempt& a = attempts[it->second];
    if (e.kind == "completed") {
      a.outcome = "done";
    } else if (e.kind == "failed") {
      const json detail = Detail(e);
      a.outcome = detail.value("final", true) ? "failed" : "retried";
      a.error = detail.value("error", "");
    } else if (e.kind == "released") {
      a.outcome = "released";
    } else {
      continue;
    }
    a.end_ms = at;
    open.erase(id.first);
  }
  return attempts;
}

// The partitions running, done and failed after each change from 0 to end_s; changes closer
// together than end_s / kMaxProgressPoints become one point.
json ProgressJson(const std::vector<Attempt>& attempts, int64_t origin_ms, int64_t end_ms) {
  struct Change {
    int64_t at_ms;
    int running, done, failed;
  };
  std::vector<Change> changes;
  for (const Attempt& a : attempts) {
    changes.push_back({a.start_ms, 1, 0, 0});
    if (a.end_ms) {
      changes.push_back({*a.end_ms, -1, a.outcome == "done", a.outcome == "failed"});
    }
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.at_ms < b.at_ms; });
  const int64_t resolution_ms = (end_ms - origin_ms) / kMaxProgressPoints;
  auto point = [&](int64_t at_ms, int running, int done, int failed) {
    return json{{"t", static_cast<double>(at_ms - origin_ms) / 1000},
                {"running", running},
                {"done", done},
                {"failed", failed}};
  };
  json points = json::array({point(origin_ms, 0, 0, 0)});
  int64_t last_ms = origin_ms;
  int running = 0, done = 0, failed = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    running += changes[i].running;
    done += changes[i].done;
    failed += changes[i].failed;
    const bool last = i + 1 == changes.size();
    if (last || changes[i + 1].at_ms - last_ms > resolution_ms) {
      last_ms = changes[i].at_ms;
      points.push_back(point(last_ms, running, done, failed));
    }
  }
  if (end_ms > last_ms) points.push_back(point(end_ms, running, done, failed));
  return points;
}

json AttemptJson(const Attempt& a, int64_t origin_ms) {
  json row = {{"partition", a.partition},
              {"attempt", a.attempt},
              {"worker", a.worker},
              {"start_s", static_cast<double>(a.start_ms - origin_ms) / 1000},
              {"outcome", a.outcome}};
  if (a.end_ms) row["end_s"] = static_cast<double>(*a.end_ms - origin_ms) / 1000;
  if (!a.error.empty()) row["error"] = a.error;
  return row;
}

}  // namespace

json TaskTimelineJson(ledger::Ledger& ledger, ledger::JobId job) {
  std::map<ledger::PartitionId, std::string> keys;
  json partitions = json::array();
  for (const ledger::PartitionRecord& p : AllPartitions(ledger, job)) {
    keys[p.id] = p.key;
    json manifest = json::parse(p.output_manifest_json, nullptr, false);
    json row = {{"key", p.key}, {"status", ledger::PartitionStatusName(p.status)}};
    if (manifest.is_object() && manifest.contains("bytes")) row["bytes"] = manifest["bytes"];
    partitions.push_back(std::move(row));
  }
  const std::vector<Attempt> attempts = ReadAttempts(AllEvents(ledger, job), keys);
  const int64_t origin_ms = attempts.empty() ? 0 : attempts.front().start_ms;
  int64_t end_ms = origin_ms;
  bool running = false;
  for (const Attempt& a : attempts) {
    end_ms = std::max(end_ms, a.end_ms.value_or(a.start_ms));
    running = running || !a.end_ms;
  }
  // A running attempt's bar reaches the present.
  if (running) end_ms = std::max(end_ms, Ms(ledger.Now()));
  json rows = json::array();
  for (const Attempt& a : attempts) rows.push_back(AttemptJson(a, origin_ms));
  return {{"origin_ms", origin_ms},
          {"end_s", static_cast<double>(end_ms - origin_ms) / 1000},
          {"total", partitions.size()},
          {"attempts", std::move(rows)},
          {"partitions", std::move(partitions)},
          {"progress", ProgressJson(attempts, origin_ms, end_ms)}};
}

}  // namespace sluice::jobs
