#include "sluice/table/dictionary.h"

#include <vector>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/builder.h"
#include "sluice/table/take.h"

namespace sluice {

Array DictionaryIndices(const Array& array) {
  SLUICE_CHECK(array.is_dictionary());
  return Array::Make(DataType::Int32(), array.length(), array.buffers(), array.null_count(),
                     array.offset());
}

namespace {

// An empty dictionary serves only nulls.
Array AllNulls(const DataType& type, int64_t length, Allocator* allocator) {
  auto builder = MakeBuilder(type, allocator);
  builder->AppendNulls(length);
  return builder->Finish();
}

}  // namespace

Array DecodeDictionary(const Array& array, Allocator* allocator) {
  if (!array.is_dictionary()) return array;
  const Array& dictionary = *array.dictionary();
  const int64_t length = array.length();
  if (dictionary.length() == 0) {
    if (array.null_count() != length) throw InvalidData("an index into an empty dictionary");
    return AllNulls(array.type(), length, allocator);
  }
  // Indices under nulls are unspecified: those rows take entry 0 and stay null.
  std::vector<int64_t> rows(static_cast<size_t>(length));
  const int32_t* indices = array.raw_indices() + array.offset();
  for (int64_t i = 0; i < length; ++i) {
    rows[static_cast<size_t>(i)] = array.IsValid(i) ? indices[i] : 0;
  }
  Array values = Take(dictionary, rows, allocator);
  if (array.null_count() == 0) return values;
  BitmapBuilder validity(allocator);
  validity.Reserve(length);
  validity.AppendBits(array.validity(), array.offset(), length);
  std::vector<std::shared_ptr<const Buffer>> buffers = values.buffers();
  buffers[0] = validity.Finish();
  return Array::Make(values.type(), length, std::move(buffers), array.null_count());
}

bool HasDictionaries(const RecordBatch& batch) {
  for (int c = 0; c < batch.num_columns(); ++c) {
    if (batch.column(c).is_dictionary()) return true;
  }
  return false;
}

RecordBatch DecodeDictionaries(const RecordBatch& batch) {
  if (!HasDictionaries(batch)) return batch;
  std::vector<Array> columns;
  columns.reserve(static_cast<size_t>(batch.num_columns()));
  for (int c = 0; c < batch.num_columns(); ++c)
    columns.push_back(DecodeDictionary(batch.column(c)));
  return RecordBatch::Make(batch.shared_schema(), std::move(columns), batch.num_rows());
}

}  // namespace sluice
