// Export to the Arrow C Data Interface, zero-copy: the exported ArrowArray points straight at the
// Array's buffers and its private data holds references to them, so the memory stays alive (and
// counted by its allocator) until the consumer calls release. A RecordBatch exports as a struct
// array ("+s") whose children are the columns, the form DuckDB, Polars and pyarrow import.
//
// The out structs must be uninitialised or released; after the call the caller (or the consumer
// it hands them to) owns them and must call release exactly once. Child structs may be moved out
// by the consumer as the specification allows.
//
// Thread safety: export may run on any thread; release callbacks may run on any thread.
#pragma once

#include "sluice/table/array.h"
#include "sluice/table/c_data_interface.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice {

// One field: format, name, ARROW_FLAG_NULLABLE when nullable.
void ExportField(const Field& field, ArrowSchema* out);
// A struct ("+s") schema with one child per field.
void ExportSchema(const Schema& schema, ArrowSchema* out);
void ExportArray(const Array& array, ArrowArray* out);
void ExportRecordBatch(const RecordBatch& batch, ArrowArray* out);

}  // namespace sluice
