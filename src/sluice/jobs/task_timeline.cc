#include "sluice/jobs/task_timeline.h"

#include <map>
#include <optional>
#include <utility>

namespace sluice::jobs {
namespace {

using json = nlohmann::json;

int64_t Ms(ledger::Timestamp t) { return t.time_since_epoch().count(); }

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
  std::optional<int64_t> origin;
  std::map<std::pair<ledger::PartitionId, int64_t>, json> attempts;  // in claim order per key
  std::vector<std::pair<ledger::PartitionId, int64_t>> order;
  for (const ledger::EventRecord& e : AllEvents(ledger, job)) {
    if (!e.partition_id || !e.attempt) continue;
    const auto id = std::make_pair(*e.partition_id, *e.attempt);
    const int64_t at = Ms(e.at);
    if (e.kind == "claimed") {
      if (!origin) origin = at;
      attempts[id] = {{"partition", keys[id.first]},
                      {"attempt", id.second},
                      {"worker", Detail(e).value("owner", "")},
                      {"start_ms", at},
                      {"outcome", "running"}};
      order.push_back(id);
      continue;
    }
    auto it = attempts.find(id);
    if (it == attempts.end()) continue;
    if (e.kind == "completed") {
      it->second["end_ms"] = at;
      it->second["outcome"] = "done";
    } else if (e.kind == "failed") {
      const json detail = Detail(e);
      it->second["end_ms"] = at;
      it->second["outcome"] = detail.value("final", true) ? "failed" : "retried";
      it->second["error"] = detail.value("error", "");
    }
  }
  json rows = json::array();
  for (const auto& id : order) {
    json a = attempts[id];
    a["start_s"] = static_cast<double>(a["start_ms"].get<int64_t>() - *origin) / 1000;
    if (a.contains("end_ms")) {
      a["end_s"] = static_cast<double>(a["end_ms"].get<int64_t>() - *origin) / 1000;
    }
    a.erase("start_ms");
    a.erase("end_ms");
    rows.push_back(std::move(a));
  }
  return {{"origin_ms", origin.value_or(0)},
          {"attempts", std::move(rows)},
          {"partitions", std::move(partitions)}};
}

}  // namespace sluice::jobs
