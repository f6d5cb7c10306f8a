#include "sluice/jobs/batch/batch_manifest.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/parquet/file_reader.h"

namespace sluice::batch {

namespace stdfs = std::filesystem;
using nlohmann::json;

std::vector<std::string> BatchManifest::files() const {
  std::vector<std::string> out;
  for (const ManifestChunk& c : chunks) {
    if (!c.file.empty()) out.push_back(c.file);
  }
  return out;
}

json BatchManifest::ToJson() const {
  json chunk_list = json::array();
  for (const ManifestChunk& c : chunks) {
    json inputs = json::object();
    for (const auto& [name, in] : c.inputs) {
      inputs[name] = {{"rows", in.rows}, {"fingerprint", in.fingerprint}};
    }
    chunk_list.push_back({{"chunk", c.chunk},
                          {"key", c.key},
                          {"file", c.file.empty() ? json(nullptr) : json(c.file)},
                          {"rows", c.rows},
                          {"bytes", c.bytes},
                          {"inputs", inputs}});
  }
  json sources = json::object();
  for (const auto& [name, source] : inputs) {
    json files_json = nullptr;
    if (source.files) {
      files_json = json::array();
      for (const FileStamp& f : *source.files) {
        files_json.push_back({{"path", f.path}, {"size", f.size}, {"mtime_ns", f.mtime_ns}});
      }
    }
    sources[name] = {{"schema", source.schema}, {"files", files_json}};
  }
  return {{"format", kManifestFormat},
          {"task", {{"name", task_name}, {"version", task_version}}},
          {"chunking",
           {{"by", chunking.by},
            {"chunks", chunking.chunks},
            {"hash", kChunkHashName},
            {"hash_version", chunking.hash_version}}},
          {"schema", schema},
          {"rows", rows},
          {"files", files()},
          {"inputs", sources},
          {"chunks", chunk_list}};
}

BatchManifest BatchManifest::FromJson(const json& j, const std::string& path) {
  try {
    if (j.at("format").get<std::string>() != kManifestFormat) {
      throw InvalidData("not a {} manifest", kManifestFormat);
    }
    BatchManifest m;
    m.task_name = j.at("task").at("name").get<std::string>();
    m.task_version = j.at("task").at("version").get<std::string>();
    m.chunking.by = j.at("chunking").at("by").get<std::vector<std::string>>();
    m.chunking.chunks = j.at("chunking").at("chunks").get<int>();
    m.chunking.hash_version = j.at("chunking").at("hash_version").get<int>();
    m.schema = j.at("schema").get<std::string>();
    m.rows = j.at("rows").get<int64_t>();
    for (const json& c : j.at("chunks")) {
      ManifestChunk chunk;
      chunk.chunk = c.at("chunk").get<int>();
      chunk.key = c.at("key").get<std::string>();
      if (!c.at("file").is_null()) chunk.file = c.at("file").get<std::string>();
      chunk.rows = c.at("rows").get<int64_t>();
      chunk.bytes = c.at("bytes").get<int64_t>();
      for (const auto& [name, in] : c.at("inputs").items()) {
        chunk.inputs[name] = {in.at("rows").get<int64_t>(),
                              in.at("fingerprint").get<std::string>()};
      }
      m.chunks.push_back(std::move(chunk));
    }
    if (j.contains("inputs")) {
      for (const auto& [name, in] : j.at("inputs").items()) {
        ManifestSource source;
        source.schema = in.at("schema").get<std::string>();
        if (!in.at("files").is_null()) {
          source.files.emplace();
          for (const json& f : in.at("files")) {
            source.files->push_back({f.at("path").get<std::string>(), f.at("size").get<int64_t>(),
                                     f.at("mtime_ns").get<int64_t>()});
          }
        }
        m.inputs[name] = std::move(source);
      }
    }
    return m;
  } catch (Error& e) {
    throw std::move(e).With("file", path);
  } catch (const json::exception& e) {
    throw InvalidData("malformed batched-job manifest: {}", e.what()).With("file", path);
  }
}

std::string ManifestPathFor(const std::string& dir_or_manifest) {
  std::error_code unreadable;  // then it is taken as the manifest's path, whose read names it
  if (stdfs::is_directory(dir_or_manifest, unreadable)) {
    return (stdfs::path(dir_or_manifest) / kManifestName).string();
  }
  return dir_or_manifest;
}

bool IsBatchOutput(const std::string& path) {
  std::error_code ec;
  if (stdfs::is_directory(path, ec)) return stdfs::exists(stdfs::path(path) / kManifestName, ec);
  return stdfs::path(path).filename() == kManifestName && stdfs::exists(path, ec);
}

std::optional<BatchManifest> ReadBatchManifest(const std::string& dir_or_manifest) {
  const std::string path = ManifestPathFor(dir_or_manifest);
  std::error_code ec;
  if (!stdfs::exists(path, ec)) return std::nullopt;
  json j = json::parse(fs::ReadWholeFile(*fs::LocalFileSystem(), path), nullptr, false);
  if (j.is_discarded()) throw InvalidData("the manifest is not JSON").With("file", path);
  return BatchManifest::FromJson(j, path);
}

void WriteBatchManifest(const std::string& dir, const BatchManifest& manifest) {
  const std::string text = manifest.ToJson().dump(2) + "\n";
  fs::WriteWholeFile(*fs::LocalFileSystem(), (stdfs::path(dir) / kManifestName).string(), text);
}

CheckedBatchOutput CheckBatchOutput(const std::string& dir_or_manifest) {
  std::optional<BatchManifest> manifest = ReadBatchManifest(dir_or_manifest);
  const std::string path = ManifestPathFor(dir_or_manifest);
  if (!manifest) throw NotFound("no batched-job manifest").With("file", path);
  CheckedBatchOutput out{std::move(*manifest), stdfs::path(path).parent_path().string(), 0};
  for (const ManifestChunk& c : out.manifest.chunks) {
    if (c.file.empty()) continue;
    const std::string file = (stdfs::path(out.dir) / c.file).string();
    const int64_t rows = parquet::ParquetFileReader::Open(file)->num_rows();
    if (rows != c.rows) {
      throw InvalidData("the manifest lists {} rows but the file has {}", c.rows, rows)
          .With("file", file);
    }
    out.bytes += c.bytes;
  }
  return out;
}

std::shared_ptr<TableScan> OpenBatchOutput(const std::string& dir_or_manifest) {
  std::optional<BatchManifest> manifest = ReadBatchManifest(dir_or_manifest);
  const std::string path = ManifestPathFor(dir_or_manifest);
  if (!manifest) throw NotFound("no batched-job manifest").With("file", path);
  std::vector<std::string> files;
  const stdfs::path dir = stdfs::path(path).parent_path();
  for (const std::string& f : manifest->files()) files.push_back((dir / f).string());
  if (files.empty())
    throw InvalidData("the output has no files (every chunk is empty)").With("file", path);
  return TableScan::Open(files);
}

}  // namespace sluice::batch
