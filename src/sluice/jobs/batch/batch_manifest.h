// BatchManifest: the record of a batched job's finished output, <output dir>/manifest.json. It
// lists every chunk (its cache key, its output file relative to the directory, its rows and
// bytes, and the fingerprint of each input's rows in it), the task's identity, the chunking and
// the output schema. The output directory is local or an s3:// prefix (through
// fs::FileSystemFor). The manifest is written last, whole (rename locally, one PUT on S3), after
// every chunk file is in place, so it always describes a complete output; the next run compares its
// chunks' keys against it to explain why a chunk was recomputed.
//
// The output is readable as one table: OpenBatchOutput gives a TableScan over the listed files
// (the Parquet reader over the manifest); DuckDB reads the same rows with
// read_parquet('<dir>/*.parquet'), since the directory holds exactly the listed Parquet files.
//
// Thread safety: plain values and functions of their arguments.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/jobs/batch/batch_input.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/ops/table_scan.h"

namespace sluice::batch {

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kManifestFormat = "sluice-batched/1";

struct ManifestInput {
  int64_t rows = 0;
  std::string fingerprint;
};

struct ManifestChunk {
  int chunk = 0;
  std::string key;
  std::string file;  // relative to the output directory; empty when the chunk has no output
  int64_t rows = 0;
  int64_t bytes = 0;
  std::map<std::string, ManifestInput> inputs;
};

// An input as the run saw it: its schema, and its files' stamps (Parquet inputs only), which let
// the next run skip re-reading an unchanged input.
struct ManifestSource {
  std::string schema;
  std::optional<std::vector<FileStamp>> files;
};

struct BatchManifest {
  std::string task_name;
  std::string task_version;
  ChunkingConfig chunking;
  std::string schema;  // "a: int64, b: string"; empty when no chunk has output
  int64_t rows = 0;
  std::vector<ManifestChunk> chunks;
  std::map<std::string, ManifestSource> inputs;

  std::vector<std::string> files() const;
  nlohmann::json ToJson() const;
  // InvalidData naming the file for anything malformed.
  static BatchManifest FromJson(const nlohmann::json& json, const std::string& path);
};

// The path itself when it names a manifest.json or (locally) is not a directory; else
// dir/manifest.json (an s3:// prefix is taken as a directory).
std::string ManifestPathFor(const std::string& dir_or_manifest);
// True when the path is a manifest or a directory holding one.
bool IsBatchOutput(const std::string& path);
// nullopt when there is no manifest; InvalidData when it is malformed.
std::optional<BatchManifest> ReadBatchManifest(const std::string& dir_or_manifest);
void WriteBatchManifest(const std::string& dir, const BatchManifest& manifest);
// An output checked against its manifest: every listed file opens with the rows it lists.
struct CheckedBatchOutput {
  BatchManifest manifest;
  std::string dir;
  int64_t bytes = 0;  // of the listed files, as the manifest lists them
};
// NotFound without a manifest; InvalidData naming the file whose rows differ.
CheckedBatchOutput CheckBatchOutput(const std::string& dir_or_manifest);
// The listed files as one table. NotFound without a manifest; InvalidData for an output without
// any file (every chunk empty).
std::shared_ptr<TableScan> OpenBatchOutput(const std::string& dir_or_manifest);

}  // namespace sluice::batch
