// ParquetSchema: the schema tree of a file, rebuilt from the flat, depth-first list of
// SchemaElements in FileMetaData, and the leaf columns it defines (one ColumnChunk per leaf in
// every row group, in this order) with their definition and repetition levels.
//
// Build validates the tree: child counts that do not add up, missing physical types on leaves,
// unknown physical types or repetitions, bad FIXED_LEN_BYTE_ARRAY lengths and excessive depth are
// InvalidData naming the element. Nested leaves are described, not refused: the column reader
// decides what it supports (`nested` tells it).
//
// Ownership: owns copies of what it needs. Thread safety: immutable after Build.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/io/parquet/metadata.h"

namespace sluice::parquet {

struct ColumnDescriptor {
  int leaf_index = 0;             // position among the leaves (= ColumnChunk index in a row group)
  int schema_index = 0;           // position in FileMetaData::schema
  std::vector<std::string> path;  // names from the top-level field down to the leaf
  SchemaElement element;          // the leaf's own element (types, logical type, field id)
  PhysicalType physical_type = PhysicalType::kBoolean;
  int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY width; 0 otherwise
  Repetition repetition = Repetition::kRequired;
  int16_t max_definition_level = 0;
  int16_t max_repetition_level = 0;
  // True when the leaf sits under a group or is repeated: a list, map or struct member.
  bool nested = false;

  std::string DottedPath() const;  // "a.b.c"
};

class ParquetSchema {
 public:
  // Elements nested deeper than this are refused (no real schema comes close).
  static constexpr int kMaxDepth = 100;

  static ParquetSchema Build(const std::vector<SchemaElement>& elements);

  const std::vector<ColumnDescriptor>& columns() const { return columns_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  // Names of the top-level fields (children of the root), in order.
  const std::vector<std::string>& top_level_names() const { return top_level_names_; }
  // Index of the leaf with this dotted path, or -1.
  int FindColumn(const std::string& dotted_path) const;

 private:
  std::vector<ColumnDescriptor> columns_;
  std::vector<std::string> top_level_names_;
};

}  // namespace sluice::parquet
