// Nested values as JSON text, the form a CSV cell holds them in (`sluice cat` and the CSV output
// of every operator): a list as a JSON array, a struct as an object, a map as an object keyed by
// its keys' text; numbers and booleans as JSON, NaN and infinities and other flat values as the
// CSV writer spells them (csv::CellText), nulls as null.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "sluice/table/record_batch.h"

namespace sluice {

nlohmann::ordered_json JsonValue(const Array& array, int64_t i);

// The batch with each nested column replaced by a string column of its values' JSON text (nulls
// stay null); the batch itself when it has no nested column.
RecordBatch NestedAsJsonText(const RecordBatch& batch);

}  // namespace sluice
