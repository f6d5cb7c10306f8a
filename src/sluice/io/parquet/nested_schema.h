// NestedField: how a nested top-level Parquet field (a group, or a repeated field) becomes one
// sluice column of list, map and struct types, following the format's LogicalTypes.md:
//   - a group annotated LIST (or converted type LIST) holds one repeated field R. R is the list
//     element itself (two-level form) when it is a primitive, a group of several fields, or a
//     group named "array" or "<list>_tuple"; otherwise R's only child is the element (the
//     standard three-level form);
//   - a group annotated MAP or MAP_KEY_VALUE holds one repeated group of a key and a value (a
//     key alone reads as the list of the keys, as parquet-rs reads it; DuckDB refuses it);
//   - a repeated field outside those is a non-null list of non-null elements (unannotated);
//   - any other group is a struct.
// Each node records the levels that place its values: a node has a slot (a value or a null) for
// every level entry whose definition level reaches `slot_level` and whose repetition level is at
// most `rep_level`, and its value is not null when the definition level reaches `valid_level`.
// A list's offsets count its element's slots between its own.
//
// Malformed shapes (a LIST group without exactly one repeated child, a MAP without a key and a
// value) are InvalidData naming the field.
//
// Thread safety: immutable values.
#pragma once

#include <vector>

#include "sluice/io/parquet/schema.h"
#include "sluice/table/schema.h"

namespace sluice::parquet {

struct NestedNode {
  enum class Kind { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  Field field{"", DataType::Bool()};  // this node's sluice field (a leaf's type: column_type.h)
  int16_t slot_level = 0;
  int16_t valid_level = 0;
  int16_t rep_level = 0;
  int leaf = -1;  // kLeaf: the leaf column's index
  // kLeaf: the definition level of the repeated field at each repetition level (0: none).
  std::vector<int16_t> repeated_def;
  int first_leaf = -1;               // the first leaf below (whose levels place this node's slots)
  std::vector<NestedNode> children;  // struct fields; a list's element; a map's entries struct
  std::string path;                  // dotted Parquet path, for errors
};

// The top-level field `name` as a tree; its leaves' types resolved with `int96_unit`.
NestedNode BuildNestedField(const ParquetSchema& schema, const std::vector<SchemaElement>& elements,
                            const std::string& name, sluice::TimeUnit int96_unit);

// Whether the top-level field `name` is nested (a group or repeated).
bool IsNestedTopLevel(const ParquetSchema& schema, const std::string& name);

// The leaves below `node`, in file order.
std::vector<int> NestedLeaves(const NestedNode& node);

}  // namespace sluice::parquet
