#include "sluice/cli/inspect_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/table/printer.h"

namespace sluice::cli {
namespace {

using nlohmann::ordered_json;
namespace pq = sluice::parquet;

std::string Hex(const std::string& bytes) {
  std::string out = "0x";
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// A statistics value (PLAIN bytes of the physical type) as the column's sluice type prints it;
// hex when it cannot be decoded (nested columns, truncated values).
std::string StatText(const pq::ColumnDescriptor& column, const std::string& bytes) {
  try {
    pq::ColumnType type = pq::ResolveColumnType(column, sluice::TimeUnit::kMicro);
    pq::PhysicalValues values;
    values.width = pq::PhysicalValueWidth(column.physical_type, column.type_length);
    if (values.width == 0) {
      values.binary.Append(bytes);
    } else if (bytes.size() == static_cast<size_t>(values.width)) {
      values.fixed.assign(bytes.begin(), bytes.end());
    } else {
      return Hex(bytes);
    }
    pq::ColumnAppender appender(type, Allocator::Default());
    appender.Append(values, nullptr, 1, 1);
    Array array = appender.Finish();
    if (type.field.type.id() == TypeId::kString) return std::string(array.BinaryValue(0));
    return FormatValue(array, 0);
  } catch (const Error&) {
    return Hex(bytes);
  }
}

std::string TypeText(const pq::ColumnDescriptor& column) {
  std::string text = pq::PhysicalTypeName(column.physical_type);
  if (column.physical_type == pq::PhysicalType::kFixedLenByteArray) {
    text += fmt::format("({})", column.type_length);
  }
  if (column.element.logical_type) {
    text += " " + pq::LogicalTypeName(*column.element.logical_type);
  } else if (column.element.converted_type) {
    text += " " + pq::ConvertedTypeName(*column.element.converted_type);
  }
  return text;
}

std::string SluiceType(const pq::ColumnDescriptor& column) {
  try {
    return pq::ResolveColumnType(column).field.type.ToString();
  } catch (const Error& error) {
    return error.kind() == ErrorKind::kNotSupported && column.nested ? "nested (not supported)"
                                                                     : error.message();
  }
}

ordered_json Describe(const pq::ParquetFileReader& reader) {
  const pq::ParquetFooter& footer = reader.footer();
  const pq::FileMetaData& meta = footer.metadata;
  ordered_json out;
  out["file"] = reader.name();
  out["file_size"] = footer.file_size;
  out["num_rows"] = reader.num_rows();
  out["num_row_groups"] = meta.row_groups.size();
  out["format_version"] = meta.version;
  if (meta.created_by) out["created_by"] = *meta.created_by;
  ordered_json columns = ordered_json::array();
  for (const pq::ColumnDescriptor& column : footer.schema.columns()) {
    columns.push_back({{"path", column.DottedPath()},
                       {"physical_type", TypeText(column)},
                       {"repetition", pq::RepetitionName(column.repetition)},
                       {"type", SluiceType(column)}});
  }
  out["columns"] = columns;
  ordered_json row_groups = ordered_json::array();
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const pq::RowGroup& rg = meta.row_groups[g];
    ordered_json chunks = ordered_json::array();
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const pq::ColumnMetaData& cm = *rg.columns[c].meta_data;
      const pq::ColumnDescriptor& column = footer.schema.columns()[c];
      ordered_json encodings = ordered_json::array();
      for (pq::Encoding e : cm.encodings) encodings.push_back(pq::EncodingName(e));
      ordered_json chunk = {{"path", column.DottedPath()},
                            {"codec", pq::CompressionCodecName(cm.codec)},
                            {"encodings", encodings},
                            {"num_values", cm.num_values},
                            {"compressed_size", cm.total_compressed_size},
                            {"uncompressed_size", cm.total_uncompressed_size},
                            {"data_page_offset", cm.data_page_offset}};
      if (cm.dictionary_page_offset) chunk["dictionary_page_offset"] = *cm.dictionary_page_offset;
      if (cm.statistics) {
        const pq::Statistics& s = *cm.statistics;
        ordered_json stats = ordered_json::object();
        std::optional<std::string> min = s.min_value ? s.min_value : s.min;
        std::optional<std::string> max = s.max_value ? s.max_value : s.max;
        if (min) stats["min"] = StatText(column, *min);
        if (max) stats["max"] = StatText(column, *max);
        if (s.null_count) stats["null_count"] = *s.null_count;
        if (s.distinct_count) stats["distinct_count"] = *s.distinct_count;
        chunk["statistics"] = stats;
      }
      chunks.push_back(chunk);
    }
    row_groups.push_back({{"index", g},
                          {"num_rows", rg.num_rows},
                          {"total_byte_size", rg.total_byte_size},
                          {"columns", chunks}});
  }
  out["row_groups"] = row_groups;
  return out;
}

void PrintText(const ordered_json& d) {
  fmt::print("file: {} ({})\n", d["file"].get<std::string>(),
             FormatBytes(d["file_size"].get<int64_t>()));
  fmt::print("rows: {} in {} row groups; format version {}{}\n", d["num_rows"].get<int64_t>(),
             d["num_row_groups"].get<int64_t>(), d["format_version"].get<int>(),
             d.contains("created_by") ? "; created by " + d["created_by"].get<std::string>()
                                      : std::string());
  fmt::print("schema:\n");
  for (const auto& c : d["columns"]) {
    fmt::print("  {}: {} {} -> {}\n", c["path"].get<std::string>(),
               c["repetition"].get<std::string>(), c["physical_type"].get<std::string>(),
               c["type"].get<std::string>());
  }
  for (const auto& rg : d["row_groups"]) {
    fmt::print("row group {}: {} rows, {}\n", rg["index"].get<int64_t>(),
               rg["num_rows"].get<int64_t>(), FormatBytes(rg["total_byte_size"].get<int64_t>()));
    for (const auto& c : rg["columns"]) {
      std::string encodings;
      for (const auto& e : c["encodings"]) {
        encodings += (encodings.empty() ? "" : ",") + e.get<std::string>();
      }
      std::string line = fmt::format("  {}: {} {} {} -> {}, {} values",
                                     c["path"].get<std::string>(), c["codec"].get<std::string>(),
                                     encodings, FormatBytes(c["uncompressed_size"].get<int64_t>()),
                                     FormatBytes(c["compressed_size"].get<int64_t>()),
                                     c["num_values"].get<int64_t>());
      if (c.contains("statistics")) {
        const auto& s = c["statistics"];
        if (s.contains("min")) line += ", min " + s["min"].get<std::string>();
        if (s.contains("max")) line += ", max " + s["max"].get<std::string>();
        if (s.contains("null_count")) {
          line += fmt::format(", {} nulls", s["null_count"].get<int64_t>());
        }
      }
      fmt::print("{}\n", line);
    }
  }
}

// A batched job's output as one table: the manifest's task, chunking, schema and files, each
// file's row count checked against its footer.
int InspectBatchOutput(const std::string& path, bool as_json) {
  std::optional<batch::BatchManifest> manifest = batch::ReadBatchManifest(path);
  if (!manifest) throw NotFound("no batched-job manifest").With("file", path);
  const std::filesystem::path dir =
      std::filesystem::path(batch::ManifestPathFor(path)).parent_path();
  int64_t bytes = 0;
  for (const batch::ManifestChunk& c : manifest->chunks) {
    if (c.file.empty()) continue;
    auto reader = pq::ParquetFileReader::Open((dir / c.file).string());
    if (reader->num_rows() != c.rows) {
      throw InvalidData("the manifest lists {} rows but the file has {}", c.rows,
                        reader->num_rows())
          .With("file", (dir / c.file).string());
    }
    bytes += c.bytes;
  }
  if (as_json) {
    fmt::print("{}\n", manifest->ToJson().dump(2));
    return 0;
  }
  const std::vector<std::string> files = manifest->files();
  fmt::print("batched output {}\n", dir.string());
  fmt::print("task: {} (version {})\n", manifest->task_name, manifest->task_version);
  fmt::print("chunking: {}\n", manifest->chunking.Describe());
  fmt::print("schema: {}\n", manifest->schema.empty() ? "(no output)" : manifest->schema);
  fmt::print("rows: {} in {} files ({}) of {} chunks\n", manifest->rows, files.size(),
             FormatBytes(bytes), manifest->chunks.size());
  for (const batch::ManifestChunk& c : manifest->chunks) {
    fmt::print("  chunk {:>5}  {:<20}  {:>10} rows  {:>10}  key {}\n", c.chunk,
               c.file.empty() ? "-" : c.file, c.rows, FormatBytes(c.bytes), c.key);
  }
  return 0;
}

}  // namespace

std::function<int()> AddInspectCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "inspect",
      "Print a Parquet file's schema, row groups and column chunks from its footer; or, for a "
      "`sluice batch` output directory (or its manifest.json), the table its chunk files form.");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  command->add_option("file", *file, "Parquet file, or batched output directory / manifest")
      ->required();
  command->add_flag("--json", *json, "Print JSON instead of text");
  return [file, json] {
    if (batch::IsBatchOutput(*file)) return InspectBatchOutput(*file, *json);
    auto reader = pq::ParquetFileReader::Open(*file);
    ordered_json description = Describe(*reader);
    if (*json) {
      fmt::print("{}\n", description.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      PrintText(description);
    }
    return 0;
  };
}

}  // namespace sluice::cli
