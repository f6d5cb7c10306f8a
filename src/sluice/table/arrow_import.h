// Import from the Arrow C Data Interface, zero-copy: the imported Array's buffers point into the
// producer's memory, and the moved ArrowArray is released (the producer's release callback runs)
// when the last Buffer referencing it goes away, on whichever thread drops it.
//
// Every Import* function takes ownership of the struct it is given, even when it throws: the
// caller's struct is marked released (release = null) on return. ByteSize counts imported buffers
// by the bytes the array spans in them, since sluice cannot know the producer's allocation.
//
// Errors: NotSupported (naming the column) for formats without a sluice type or for dictionary
// encoding; InvalidData for structurally broken arrays (missing buffers, offsets past the data).
//
// Thread safety: import may run on any thread.
#pragma once

#include <memory>

#include "sluice/table/array.h"
#include "sluice/table/c_data_interface.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice {

Field ImportField(ArrowSchema* schema);
// A struct ("+s") schema, one field per child.
Schema ImportSchema(ArrowSchema* schema);
Array ImportArray(ArrowArray* array, const DataType& type);
// A struct array whose children match `schema`.
RecordBatch ImportRecordBatch(ArrowArray* array, std::shared_ptr<const Schema> schema);
RecordBatch ImportRecordBatch(ArrowArray* array, ArrowSchema* schema);

}  // namespace sluice
