// libFuzzer target for the whole read path: the input is a Parquet file, read through
// ParquetFileReader (footer, every flat column of every row group, all pages) in small batches.
// Any sluice::Error is an accepted outcome; a crash, a sanitizer report, a hang or a huge
// allocation is a finding. Build and run with scripts/fuzz_parquet.sh.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::parquet;
  try {
    auto reader = ParquetFileReader::Open(
        std::make_unique<MemorySource>(std::span<const uint8_t>(data, size), "fuzz.parquet"));
    ParquetReadOptions options;
    for (const ColumnDescriptor& column : reader->footer().schema.columns()) {
      if (!column.nested) options.columns.push_back(column.DottedPath());
    }
    options.batch_rows = 1000;
    options.column_options.max_page_size = 16 << 20;
    auto batches = reader->ReadBatches(options);
    while (batches->Next()) {
    }
  } catch (const sluice::Error&) {
  }
  return 0;
}
