#include "sluice/cli/inspect_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/base/bytes.h"
#include "sluice/io/parquet/file_description.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/batch/batch_manifest.h"

namespace sluice::cli {
namespace {

using nlohmann::ordered_json;
namespace pq = sluice::parquet;

// The schema as a tree: groups with their repetition and LIST/MAP annotation, leaves as their
// description line, and each top-level field's sluice type.
void PrintSchemaTree(const pq::ParquetFileReader& reader, const ordered_json& d) {
  const std::vector<pq::SchemaElement>& elements = reader.footer().metadata.schema;
  const ordered_json& fields = d["fields"];
  size_t index = 1;
  size_t leaf = 0;
  size_t top = 0;
  // Children left to print at each depth below the root.
  std::vector<int64_t> left = {elements.empty() ? 0 : elements[0].num_children.value_or(0)};
  while (!left.empty() && index < elements.size()) {
    if (left.back() == 0) {
      left.pop_back();
      continue;
    }
    --left.back();
    const pq::SchemaElement& e = elements[index++];
    const std::string indent(2 * left.size(), ' ');
    std::string sluice_type;
    if (left.size() == 1 && top < fields.size()) {
      sluice_type = " -> " + fields[top++]["type"].get<std::string>();
    }
    const bool group = e.num_children.has_value() && (*e.num_children > 0 || !e.type);
    if (!group) {
      const auto& c = d["columns"][leaf++];
      fmt::print("{}{}: {} {}{}\n", indent, e.name, c["repetition"].get<std::string>(),
                 c["physical_type"].get<std::string>(),
                 sluice_type.empty() ? " (" + c["type"].get<std::string>() + ")" : sluice_type);
      continue;
    }
    std::string annotation;
    if (e.converted_type == pq::ConvertedType::kList ||
        (e.logical_type && e.logical_type->kind == pq::LogicalType::Kind::kList)) {
      annotation = " (LIST)";
    } else if (e.converted_type == pq::ConvertedType::kMap ||
               e.converted_type == pq::ConvertedType::kMapKeyValue ||
               (e.logical_type && e.logical_type->kind == pq::LogicalType::Kind::kMap)) {
      annotation = " (MAP)";
    }
    fmt::print("{}{}: {} group{}{}\n", indent, e.name,
               pq::RepetitionName(e.repetition_type.value_or(pq::Repetition::kRequired)),
               annotation, sluice_type);
    left.push_back(*e.num_children);
  }
}

void PrintText(const pq::ParquetFileReader& reader, const ordered_json& d) {
  fmt::print("file: {} ({})\n", d["file"].get<std::string>(),
             FormatBytes(d["file_size"].get<int64_t>()));
  fmt::print("rows: {} in {} row groups; format version {}{}\n", d["num_rows"].get<int64_t>(),
             d["num_row_groups"].get<int64_t>(), d["format_version"].get<int>(),
             d.contains("created_by") ? "; created by " + d["created_by"].get<std::string>()
                                      : std::string());
  fmt::print("schema:\n");
  PrintSchemaTree(reader, d);
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
  const batch::CheckedBatchOutput output = batch::CheckBatchOutput(path);
  const batch::BatchManifest& manifest = output.manifest;
  if (as_json) {
    fmt::print("{}\n", manifest.ToJson().dump(2));
    return 0;
  }
  const std::vector<std::string> files = manifest.files();
  fmt::print("batched output {}\n", output.dir);
  fmt::print("task: {} (version {})\n", manifest.task_name, manifest.task_version);
  fmt::print("chunking: {}\n", manifest.chunking.Describe());
  fmt::print("schema: {}\n", manifest.schema.empty() ? "(no output)" : manifest.schema);
  fmt::print("rows: {} in {} files ({}) of {} chunks\n", manifest.rows, files.size(),
             FormatBytes(output.bytes), manifest.chunks.size());
  for (const batch::ManifestChunk& c : manifest.chunks) {
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
    ordered_json description = pq::DescribeParquetFile(*reader);
    if (*json) {
      fmt::print("{}\n", description.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      PrintText(*reader, description);
    }
    return 0;
  };
}

}  // namespace sluice::cli
