#include "sluice/jobs/batch/chunk_cache.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {

using nlohmann::json;

std::string ChunkCacheKey(const std::string& task_name, const std::string& task_version,
                          const ChunkingConfig& chunking, int chunk,
                          const std::map<std::string, std::string>& input_fingerprints) {
  const std::string text =
      json::array({"sluice-batched-chunk/1", task_name, task_version, chunking.by, chunking.chunks,
                   chunking.hash_version, chunk, input_fingerprints})
          .dump();
  return fmt::format("{:016x}{:016x}", XxHash64(text.data(), text.size(), 0),
                     XxHash64(text.data(), text.size(), 1));
}

std::string StepCacheKey(const std::string& step_name, const std::string& step_version,
                         const std::string& chunk_key) {
  const std::string text =
      json::array({"sluice-batched-step/1", step_name, step_version, chunk_key}).dump();
  return fmt::format("{:016x}{:016x}", XxHash64(text.data(), text.size(), 0),
                     XxHash64(text.data(), text.size(), 1));
}

ChunkCache::ChunkCache(std::string dir) : dir_(std::move(dir)) { MakeDirectories(dir_); }

std::string ChunkCache::DataPath(const std::string& key) const {
  return JoinLocation(dir_, key + ".parquet");
}

std::optional<CacheEntry> ChunkCache::Find(const std::string& key) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = found_.find(key); it != found_.end()) return it->second;
  }
  auto fs = sluice::fs::FileSystemFor(dir_);
  std::string text;
  try {
    text = sluice::fs::ReadWholeFile(*fs, JoinLocation(dir_, key + ".json"));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
  CacheEntry entry;
  try {
    json j = json::parse(text);
    entry.key = key;
    entry.chunk = j.at("chunk").get<int>();
    entry.rows = j.at("rows").get<int64_t>();
    entry.has_file = j.at("has_file").get<bool>();
    entry.bytes = j.at("bytes").get<int64_t>();
    entry.schema = j.at("schema").get<std::string>();
  } catch (const json::exception&) {
    return std::nullopt;  // a damaged entry is recomputed
  }
  if (entry.has_file) {
    try {
      if (fs->Stat(DataPath(key)).size != entry.bytes) return std::nullopt;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
      throw;
    }
  }
  std::lock_guard lock(mu_);
  found_.emplace(key, entry);
  return entry;
}

int64_t ChunkCache::Store(const std::string& key, const std::string& local_file) const {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(local_file, ec);
  if (ec) throw IoErrorFromErrno(ec.value(), "stat", local_file);
  MoveLocalFileInto(local_file, DataPath(key));
  return static_cast<int64_t>(bytes);
}

void ChunkCache::Put(const CacheEntry& entry) const {
  json j = {{"chunk", entry.chunk},
            {"rows", entry.rows},
            {"has_file", entry.has_file},
            {"bytes", entry.bytes},
            {"schema", entry.schema}};
  const std::string text = j.dump(2) + "\n";
  sluice::fs::WriteWholeFile(*sluice::fs::FileSystemFor(dir_),
                             JoinLocation(dir_, entry.key + ".json"), text);
  std::lock_guard lock(mu_);
  found_.emplace(entry.key, entry);
}

bool ChunkCache::Remembers(const std::string& key) const {
  std::lock_guard lock(mu_);
  return found_.contains(key) || steps_found_.contains(key);
}

bool ChunkCache::HasStep(const std::string& step_key) const {
  {
    std::lock_guard lock(mu_);
    if (steps_found_.contains(step_key)) return true;
  }
  try {
    const std::string text = sluice::fs::ReadWholeFile(*sluice::fs::FileSystemFor(dir_),
                                                       JoinLocation(dir_, step_key + ".json"));
    if (!json::parse(text, nullptr, false).contains("step")) return false;  // damaged: run again
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return false;
    throw;
  }
  std::lock_guard lock(mu_);
  steps_found_.insert(step_key);
  return true;
}

void ChunkCache::PutStep(const std::string& step_key, const std::string& step_name,
                         int chunk) const {
  const std::string text = json{{"step", step_name}, {"chunk", chunk}}.dump(2) + "\n";
  sluice::fs::WriteWholeFile(*sluice::fs::FileSystemFor(dir_),
                             JoinLocation(dir_, step_key + ".json"), text);
  std::lock_guard lock(mu_);
  steps_found_.insert(step_key);
}

int64_t ChunkCache::Prune(const std::set<std::string>& keep) const {
  auto fs = sluice::fs::FileSystemFor(dir_);
  int64_t removed = 0;
  for (const sluice::fs::FileInfo& file : fs->List(dir_)) {
    const std::string_view name = BaseName(file.path);
    const std::string key(name.substr(0, name.find('.')));
    if (!key.empty() && keep.contains(key)) continue;
    if (name.ends_with(".json")) ++removed;
    fs->Delete(file.path);
    std::lock_guard lock(mu_);
    found_.erase(key);
    steps_found_.erase(key);
  }
  return removed;
}

}  // namespace sluice::batch
