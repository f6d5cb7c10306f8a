#include "sluice/jobs/batch/chunk_cache.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {

namespace stdfs = std::filesystem;
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

ChunkCache::ChunkCache(stdfs::path dir) : dir_(std::move(dir)) { stdfs::create_directories(dir_); }

std::string ChunkCache::DataPath(const std::string& key) const {
  return (dir_ / (key + ".parquet")).string();
}

std::optional<CacheEntry> ChunkCache::Find(const std::string& key) const {
  const stdfs::path meta = dir_ / (key + ".json");
  std::error_code ec;
  if (!stdfs::exists(meta, ec)) return std::nullopt;
  CacheEntry entry;
  try {
    json j = json::parse(sluice::fs::ReadWholeFile(*sluice::fs::LocalFileSystem(), meta.string()));
    entry.key = key;
    entry.chunk = j.at("chunk").get<int>();
    entry.rows = j.at("rows").get<int64_t>();
    entry.has_file = j.at("has_file").get<bool>();
    entry.bytes = j.at("bytes").get<int64_t>();
    entry.schema = j.at("schema").get<std::string>();
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged entry is recomputed
  }
  if (entry.has_file) {
    auto size = stdfs::file_size(DataPath(key), ec);
    if (ec || static_cast<int64_t>(size) != entry.bytes) return std::nullopt;
  }
  return entry;
}

void ChunkCache::Put(const CacheEntry& entry) const {
  json j = {{"chunk", entry.chunk},
            {"rows", entry.rows},
            {"has_file", entry.has_file},
            {"bytes", entry.bytes},
            {"schema", entry.schema}};
  const std::string text = j.dump(2) + "\n";
  sluice::fs::WriteWholeFile(*sluice::fs::LocalFileSystem(),
                             (dir_ / (entry.key + ".json")).string(), text);
}

int64_t ChunkCache::Prune(const std::set<std::string>& keep) const {
  int64_t removed = 0;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    const size_t dot = name.find('.');
    const std::string key = name.substr(0, dot);
    if (!key.empty() && keep.contains(key)) continue;
    if (name.ends_with(".json")) ++removed;
    stdfs::remove(e.path(), ec);
  }
  return removed;
}

}  // namespace sluice::batch
