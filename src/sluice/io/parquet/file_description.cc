#include "sluice/io/parquet/file_description.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/table/printer.h"

namespace sluice::parquet {
namespace {

using nlohmann::ordered_json;

std::string Hex(const std::string& bytes) {
  std::string out = "0x";
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// A statistics value (PLAIN bytes of the physical type) as the column's sluice type prints it;
// hex when it cannot be decoded (nested columns, truncated values).
std::string StatText(const ColumnDescriptor& column, const std::string& bytes) {
  try {
    ColumnType type = ResolveColumnType(column, sluice::TimeUnit::kMicro);
    PhysicalValues values;
    values.width = PhysicalValueWidth(column.physical_type, column.type_length);
    if (values.width == 0) {
      values.binary.Append(bytes);
    } else if (bytes.size() == static_cast<size_t>(values.width)) {
      values.fixed.assign(bytes.begin(), bytes.end());
    } else {
      return Hex(bytes);
    }
    ColumnAppender appender(type, Allocator::Default());
    appender.Append(values, nullptr, 1, 1);
    Array array = appender.Finish();
    if (type.field.type.id() == TypeId::kString) return std::string(array.BinaryValue(0));
    return FormatValue(array, 0);
  } catch (const Error&) {
    return Hex(bytes);
  }
}

std::string TypeText(const ColumnDescriptor& column) {
  std::string text = PhysicalTypeName(column.physical_type);
  if (column.physical_type == PhysicalType::kFixedLenByteArray) {
    text += fmt::format("({})", column.type_length);
  }
  if (column.element.logical_type) {
    text += " " + LogicalTypeName(*column.element.logical_type);
  } else if (column.element.converted_type) {
    text += " " + ConvertedTypeName(*column.element.converted_type);
  }
  return text;
}

std::string SluiceType(const ColumnDescriptor& column) {
  try {
    return ResolveColumnType(column).field.type.ToString();
  } catch (const Error& error) {
    return error.message();
  }
}

}  // namespace

nlohmann::ordered_json DescribeParquetFile(const ParquetFileReader& reader) {
  const ParquetFooter& footer = reader.footer();
  const FileMetaData& meta = footer.metadata;
  ordered_json out;
  out["file"] = reader.name();
  out["file_size"] = footer.file_size;
  out["num_rows"] = reader.num_rows();
  out["num_row_groups"] = meta.row_groups.size();
  out["format_version"] = meta.version;
  if (meta.created_by) out["created_by"] = *meta.created_by;
  ordered_json columns = ordered_json::array();
  for (const ColumnDescriptor& column : footer.schema.columns()) {
    columns.push_back({{"path", column.DottedPath()},
                       {"physical_type", TypeText(column)},
                       {"repetition", RepetitionName(column.repetition)},
                       {"type", SluiceType(column)}});
  }
  out["columns"] = columns;
  // Each top-level field as the sluice column it reads as (a nested one whole).
  ordered_json fields = ordered_json::array();
  for (const std::string& name : footer.schema.top_level_names()) {
    ParquetReadOptions options;
    options.columns = {name};
    std::string type;
    try {
      type = reader.ReadSchema(options)->field(0).type.ToString();
    } catch (const Error& error) {
      type = error.message();
    }
    fields.push_back({{"name", name}, {"type", type}});
  }
  out["fields"] = fields;
  ordered_json row_groups = ordered_json::array();
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    const RowGroup& rg = meta.row_groups[g];
    ordered_json chunks = ordered_json::array();
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const ColumnMetaData& cm = *rg.columns[c].meta_data;
      const ColumnDescriptor& column = footer.schema.columns()[c];
      ordered_json encodings = ordered_json::array();
      for (Encoding e : cm.encodings) encodings.push_back(EncodingName(e));
      ordered_json chunk = {{"path", column.DottedPath()},
                            {"codec", CompressionCodecName(cm.codec)},
                            {"encodings", encodings},
                            {"num_values", cm.num_values},
                            {"compressed_size", cm.total_compressed_size},
                            {"uncompressed_size", cm.total_uncompressed_size},
                            {"data_page_offset", cm.data_page_offset}};
      if (cm.dictionary_page_offset) chunk["dictionary_page_offset"] = *cm.dictionary_page_offset;
      if (cm.statistics) {
        const Statistics& s = *cm.statistics;
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

}  // namespace sluice::parquet
