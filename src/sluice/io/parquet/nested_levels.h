// Repetition and definition levels of one leaf of a nested column, the writer's side of
// nested_schema.h (Dremel's striping): every row of the top-level array adds one entry per value
// the leaf holds under it, or one entry where a null or an empty list ends the path early, with
// the definition level that path reached and the repetition level of the list it continues.
// Levels follow writer_schema.h's forms: a nullable field adds a definition level, a list or map
// adds one definition and one repetition level for its repeated group.
//
// A null where the schema says not null (a map's key, a non-nullable field) is InvalidArgument.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/io/parquet/writer_schema.h"
#include "sluice/table/array.h"

namespace sluice::parquet {

struct LeafLevels {
  std::vector<int16_t> def;
  std::vector<int16_t> rep;
  std::vector<int64_t> present;  // positions in LeafArray of the values, in order
};

// The array of the leaf `column` names, below `array` (its top-level field's array).
const Array& LeafArray(const Array& array, const WriterColumn& column);

// Appends the levels of every row of `array` (the top-level field's array, nullable as
// `field_nullable`) for the leaf `column`.
void AppendLeafLevels(const Array& array, bool field_nullable, const WriterColumn& column,
                      LeafLevels* out);

}  // namespace sluice::parquet
