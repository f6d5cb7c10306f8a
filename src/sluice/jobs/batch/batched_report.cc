// BatchedReport's JSON and text forms (declared in batched_job.h).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/base/bytes.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/jobs/batch/chunk_partition.h"

namespace sluice {

using nlohmann::json;

namespace {

// The task timeline with each partition's "bytes" set to its chunk's output (the ledger's
// partitions carry no manifest), for the report page's histogram of partition sizes.
json TasksWithChunkBytes(json tasks, const std::vector<ChunkOutcome>& chunks) {
  std::map<std::string, const ChunkOutcome*, std::less<>> by_key;
  for (const ChunkOutcome& o : chunks) by_key[batch::ChunkPartition::LedgerKey(o.chunk)] = &o;
  for (json& p : tasks["partitions"]) {
    auto it = by_key.find(p.value("key", ""));
    if (it != by_key.end() && !it->second->file.empty()) p["bytes"] = it->second->bytes;
  }
  return tasks;
}

}  // namespace

nlohmann::json BatchedReport::ToJson() const {
  json chunk_list = json::array();
  for (const ChunkOutcome& o : chunks) {
    json j = {{"chunk", o.chunk},
              {"status", ChunkStatusName(o.status)},
              {"reason", o.reason},
              {"key", o.key},
              {"rows_in", o.rows_in},
              {"rows_out", o.rows_out},
              {"file", o.file.empty() ? json(nullptr) : json(o.file)},
              {"bytes", o.bytes},
              {"attempts", o.attempts}};
    if (!o.error.empty()) j["error"] = o.error;
    if (!o.steps.empty()) {
      json steps = json::array();
      for (const StepOutcome& step : o.steps) {
        json js = {{"name", step.name},
                   {"status", step.status},
                   {"key", step.key},
                   {"attempts", step.attempts}};
        if (!step.error.empty()) js["error"] = step.error;
        steps.push_back(std::move(js));
      }
      j["steps"] = std::move(steps);
    }
    chunk_list.push_back(std::move(j));
  }
  json j = {{"output", output_dir},
            {"task", {{"name", task_name}, {"version", task_version}}},
            {"chunking", chunking},
            {"counts",
             {{"chunks", chunks.size()},
              {"hit", hits},
              {"miss", misses},
              {"recomputed", recomputed},
              {"failed", failed}}},
            {"split_skipped", split_skipped},
            {"rows_in", rows_in},
            {"rows_out", rows_out},
            {"cache_pruned", cache_pruned},
            {"ledger_job", ledger_job},
            {"wall_seconds", wall_seconds},
            {"peak_rss", peak_rss},
            {"chunks", chunk_list},
            {"split", split.ToJson()}};
  if (!compute.stages.empty()) {
    j["compute"] = compute.ToJson();
    if (compute_tasks.is_object())
      j["compute"]["tasks"] = TasksWithChunkBytes(compute_tasks, chunks);
  }
  if (!finalize.status.empty()) {
    j["finalize"] = {
        {"status", finalize.status}, {"key", finalize.key}, {"attempts", finalize.attempts}};
    if (!finalize.error.empty()) j["finalize"]["error"] = finalize.error;
  }
  return j;
}

std::string BatchedReport::Summary() const {
  std::string out;
  if (split_skipped) {
    out += fmt::format(
        "split: skipped, every input is unchanged (same files, sizes and modification times or "
        "ETags) "
        "and cached; {} rows {}\n",
        rows_in, chunking);
  } else {
    out += fmt::format("split: {} rows {}; {}\n", rows_in, chunking,
                       split.verdict.text.empty() ? "no bottleneck" : split.verdict.text);
  }
  if (!compute.stages.empty()) {
    out += fmt::format("compute: {}\n",
                       compute.verdict.text.empty() ? "no bottleneck" : compute.verdict.text);
  }
  out += fmt::format(
      "chunks: {} hit, {} miss, {} recomputed, {} failed of {}; {} rows out; time {:.2f} s, peak "
      "memory {} of {} (split's items, beside its writers and reads) / {} of {} (compute), peak "
      "RSS {}\n",
      hits, misses, recomputed, failed, chunks.size(), rows_out, wall_seconds,
      FormatBytes(split.peak_memory), FormatBytes(split.memory_budget),
      FormatBytes(compute.peak_memory), FormatBytes(compute.memory_budget), FormatBytes(peak_rss));
  if (!finalize.status.empty()) {
    out += fmt::format("finalize: {}{}\n", finalize.status,
                       finalize.status == "hit" ? " (the chunk set is unchanged since it last ran)"
                       : finalize.error.empty() ? ""
                                                : ": " + finalize.error);
  }
  for (const ChunkOutcome& o : chunks) {
    std::string steps;  // "; load ran (2 attempts)" for every step that was not a hit
    for (const StepOutcome& step : o.steps) {
      if (step.status == "hit") continue;
      steps += fmt::format("; {} {}", step.name, step.status);
      if (step.attempts > 1) steps += fmt::format(" ({} attempts)", step.attempts);
    }
    if (o.status == ChunkStatus::kHit && steps.empty()) continue;
    out += fmt::format("  chunk {:>5} {:<10} {}{}{}\n", o.chunk, ChunkStatusName(o.status),
                       o.reason, steps, o.error.empty() ? "" : ": " + o.error);
  }
  return out;
}

}  // namespace sluice
