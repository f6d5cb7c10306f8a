#include "sluice/jobs/batch/batch_manifest.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/batch/batch_location.h"

namespace sluice::batch {

namespace stdfs = std::filesystem;
using nlohmann::json;

namespace {

// The directory (or prefix) a manifest's path is in: "." for a bare file name.
std::string DirectoryOf(const std::string& manifest_path) {
  const size_t slash = manifest_path.find_last_of('/');
  return slash == std::string::npos ? "." : manifest_path.substr(0, slash);
}

}  // namespace

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
        json stamp = {{"path", f.path}, {"size", f.size}, {"mtime_ns", f.mtime_ns}};
        if (!f.etag.empty()) stamp["etag"] = f.etag;
        files_json.push_back(std::move(stamp));
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
                                     f.at("mtime_ns").get<int64_t>(), f.value("etag", "")});
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
  if (BaseName(dir_or_manifest) == kManifestName) return dir_or_manifest;
  if (!fs::IsS3Url(dir_or_manifest)) {
    std::error_code unreadable;  // then it is taken as the manifest's path, whose read names it
    if (!stdfs::is_directory(dir_or_manifest, unreadable)) return dir_or_manifest;
  }
  return JoinLocation(dir_or_manifest, kManifestName);
}

bool IsBatchOutput(const std::string& path) {
  const std::string manifest = ManifestPathFor(path);
  if (BaseName(manifest) != kManifestName) return false;
  try {
    fs::FileSystemFor(manifest)->Stat(manifest);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::optional<BatchManifest> ReadBatchManifest(const std::string& dir_or_manifest) {
  const std::string path = ManifestPathFor(dir_or_manifest);
  std::string text;
  try {
    text = fs::ReadWholeFile(*fs::FileSystemFor(path), path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InvalidData("the manifest is not JSON").With("file", path);
  return BatchManifest::FromJson(j, path);
}

void WriteBatchManifest(const std::string& dir, const BatchManifest& manifest) {
  const std::string text = manifest.ToJson().dump(2) + "\n";
  const std::string path = JoinLocation(dir, kManifestName);
  fs::WriteWholeFile(*fs::FileSystemFor(path), path, text);
}

CheckedBatchOutput CheckBatchOutput(const std::string& dir_or_manifest) {
  std::optional<BatchManifest> manifest = ReadBatchManifest(dir_or_manifest);
  const std::string path = ManifestPathFor(dir_or_manifest);
  if (!manifest) throw NotFound("no batched-job manifest").With("file", path);
  CheckedBatchOutput out{std::move(*manifest), DirectoryOf(path), 0};
  for (const ManifestChunk& c : out.manifest.chunks) {
    if (c.file.empty()) continue;
    const std::string file = JoinLocation(out.dir, c.file);
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
  const std::string dir = DirectoryOf(path);
  for (const std::string& f : manifest->files()) files.push_back(JoinLocation(dir, f));
  if (files.empty())
    throw InvalidData("the output has no files (every chunk is empty)").With("file", path);
  return TableScan::Open(files);
}

}  // namespace sluice::batch
