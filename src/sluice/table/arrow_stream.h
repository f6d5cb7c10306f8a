// The Arrow C Stream Interface (ArrowArrayStream) both ways: ExportRecordBatchStream hands a
// sequence of batches to a consumer such as DuckDB's arrow_scan; ArrowStreamReader pulls batches
// from a producer. Batches cross zero-copy, as in arrow_export.h / arrow_import.h.
//
// Ownership: the exported stream owns references to its batches until the consumer calls its
// release; the reader takes ownership of the stream it is given and releases it on destruction.
// Thread safety: a stream (either side) is used by one thread at a time, as the specification
// requires; batches it produced may then go anywhere.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sluice/table/c_data_interface.h"
#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice {

// Every batch must have `schema`; get_schema may be called any number of times.
void ExportRecordBatchStream(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches,
                             ArrowArrayStream* out);

class ArrowStreamReader {
 public:
  // Takes ownership of *stream (marking it released) and reads its schema; IoError with the
  // producer's message when that fails.
  explicit ArrowStreamReader(ArrowArrayStream* stream);
  ArrowStreamReader(const ArrowStreamReader&) = delete;
  ArrowStreamReader& operator=(const ArrowStreamReader&) = delete;
  ~ArrowStreamReader();

  const std::shared_ptr<const Schema>& schema() const { return schema_; }
  // The next batch, or nullopt at the end of the stream.
  std::optional<RecordBatch> Next();

 private:
  [[noreturn]] void ThrowProducerError(int code, const char* operation);

  ArrowArrayStream stream_;
  std::shared_ptr<const Schema> schema_;
};

}  // namespace sluice
