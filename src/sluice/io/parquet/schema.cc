#include "sluice/io/parquet/schema.h"

#include <fmt/format.h>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

Error SchemaError(size_t index, const SchemaElement& element, const std::string& message) {
  return InvalidData("schema: {}", message)
      .With("schema_element", std::to_string(index))
      .With("name", element.name);
}

}  // namespace

std::string ColumnDescriptor::DottedPath() const { return fmt::format("{}", fmt::join(path, ".")); }

ParquetSchema ParquetSchema::Build(const std::vector<SchemaElement>& elements) {
  if (elements.empty()) throw InvalidData("schema: the schema has no root element");
  const SchemaElement& root = elements[0];
  if (root.num_children.value_or(0) < 0) {
    throw SchemaError(0, root, "negative num_children");
  }
  ParquetSchema schema;
  // One frame per open group: how many children remain and the levels inside it.
  struct Frame {
    int64_t remaining;
    int16_t definition_level;
    int16_t repetition_level;
    size_t path_size;
  };
  std::vector<Frame> stack{{root.num_children.value_or(0), 0, 0, 0}};
  std::vector<std::string> path;
  size_t index = 1;
  while (!stack.empty()) {
    if (stack.back().remaining == 0) {
      path.resize(stack.back().path_size);
      stack.pop_back();
      continue;
    }
    if (index >= elements.size()) {
      throw InvalidData("schema: the elements end before all num_children are seen")
          .With("schema_elements", std::to_string(elements.size()));
    }
    --stack.back().remaining;
    const SchemaElement& element = elements[index];
    Repetition repetition = element.repetition_type.value_or(Repetition::kRequired);
    if (!IsKnown(repetition)) {
      throw SchemaError(index, element,
                        fmt::format("unknown repetition {}", static_cast<int32_t>(repetition)));
    }
    const Frame& parent = stack.back();
    int16_t definition_level =
        parent.definition_level + (repetition == Repetition::kRequired ? 0 : 1);
    int16_t repetition_level =
        parent.repetition_level + (repetition == Repetition::kRepeated ? 1 : 0);
    if (stack.size() == 1) schema.top_level_names_.push_back(element.name);
    int32_t num_children = element.num_children.value_or(0);
    if (num_children < 0) throw SchemaError(index, element, "negative num_children");
    bool is_group = element.num_children.has_value() && (num_children > 0 || !element.type);
    if (is_group) {
      if (static_cast<int>(stack.size()) >= kMaxDepth) {
        throw SchemaError(index, element, "the schema is nested too deeply");
      }
      size_t path_size = path.size();
      path.push_back(element.name);
      stack.push_back({num_children, definition_level, repetition_level, path_size});
      ++index;
      continue;
    }
    if (!element.type) throw SchemaError(index, element, "a leaf has no physical type");
    if (!IsKnown(*element.type)) {
      throw SchemaError(
          index, element,
          fmt::format("unknown physical type {}", static_cast<int32_t>(*element.type)));
    }
    ColumnDescriptor column;
    column.leaf_index = static_cast<int>(schema.columns_.size());
    column.schema_index = static_cast<int>(index);
    column.path = path;
    column.path.push_back(element.name);
    column.element = element;
    column.physical_type = *element.type;
    if (column.physical_type == PhysicalType::kFixedLenByteArray) {
      if (!element.type_length || *element.type_length <= 0) {
        throw SchemaError(index, element, "FIXED_LEN_BYTE_ARRAY without a positive type_length");
      }
      column.type_length = *element.type_length;
    }
    column.repetition = repetition;
    column.max_definition_level = definition_level;
    column.max_repetition_level = repetition_level;
    column.nested = stack.size() > 1 || repetition == Repetition::kRepeated;
    schema.columns_.push_back(std::move(column));
    ++index;
  }
  if (index != elements.size()) {
    throw InvalidData("schema: {} elements follow the end of the schema tree",
                      elements.size() - index);
  }
  return schema;
}

int ParquetSchema::FindColumn(const std::string& dotted_path) const {
  for (const ColumnDescriptor& column : columns_) {
    if (column.DottedPath() == dotted_path) return column.leaf_index;
  }
  return -1;
}

}  // namespace sluice::parquet
