#include "sluice/io/parquet/dictionary_backoff.h"

#include <algorithm>

namespace sluice::parquet {

ColumnWriteOptions DictionaryBackoff::OptionsFor(size_t c, const ColumnWriteOptions& options) {
  ColumnWriteOptions out = options;
  if (out.dictionary && skips_[c] > 0) {
    --skips_[c];
    out.dictionary = false;
  }
  return out;
}

void DictionaryBackoff::Record(size_t c, const ColumnWriteOptions& used, const WriterColumn& column,
                               const ColumnChunk& chunk) {
  // Booleans never take a dictionary, and a chunk of nulls only has nothing to put in one.
  if (!used.dictionary || column.physical_type == PhysicalType::kBoolean ||
      chunk.meta_data->num_values == 0) {
    return;
  }
  if (chunk.meta_data->dictionary_page_offset.has_value()) {
    backoff_[c] = 1;
    return;
  }
  skips_[c] = backoff_[c];
  backoff_[c] = std::min(backoff_[c] * 2, 16);
}

}  // namespace sluice::parquet
