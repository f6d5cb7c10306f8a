// Dictionary-encoded arrays (Array::MakeDictionary): int32 indices into a dictionary of values, as
// a Parquet reader gets them from dictionary pages. Operators that gain from them (group-by keys)
// ask for them and work on the indices; everything else turns them back into values here.
//
// Thread safety: pure functions over immutable values.
#pragma once

#include "sluice/table/allocator.h"
#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// A dictionary-encoded array's indices as an int32 array (same buffers, offset and nulls).
Array DictionaryIndices(const Array& array);

// The values a dictionary-encoded array stands for, in fresh buffers; any other array as it is.
Array DecodeDictionary(const Array& array, Allocator* allocator = Allocator::Default());

bool HasDictionaries(const RecordBatch& batch);
// The batch with every dictionary-encoded column decoded (the batch itself when none is).
RecordBatch DecodeDictionaries(const RecordBatch& batch);

}  // namespace sluice
