// DictionaryBackoff: which column chunks a writer tries dictionary encoding for. A column whose
// dictionary overflowed its limit (the chunk fell back to PLAIN) is likely to again, and every
// failed try hashes values up to the limit; so the column skips its next 1, 2, 4 ... 16 chunks
// before trying again, and a column whose values narrow later gets its dictionary back.
//
// Thread safety: calls for one column come from one thread at a time; calls for different
// columns may run at once (they share nothing).
#pragma once

#include <cstddef>
#include <vector>

#include "sluice/io/parquet/column_chunk_writer.h"

namespace sluice::parquet {

class DictionaryBackoff {
 public:
  DictionaryBackoff() = default;
  explicit DictionaryBackoff(size_t columns) : skips_(columns, 0), backoff_(columns, 1) {}

  // The options for column c's next chunk: `options` with the dictionary off while it skips.
  ColumnWriteOptions OptionsFor(size_t c, const ColumnWriteOptions& options);
  // After the chunk was written with OptionsFor's options.
  void Record(size_t c, const ColumnWriteOptions& used, const WriterColumn& column,
              const ColumnChunk& chunk);

 private:
  std::vector<int> skips_;    // chunks left to write without trying
  std::vector<int> backoff_;  // what the next overflow skips
};

}  // namespace sluice::parquet
