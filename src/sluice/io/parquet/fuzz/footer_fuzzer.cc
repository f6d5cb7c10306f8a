// libFuzzer target: the input is a whole file. Reads its footer (magic, length, FileMetaData,
// schema tree, validation) and also decodes the input as a bare FileMetaData. Any sluice::Error
// is an accepted outcome; a crash, a sanitizer report, a hang or a huge allocation is a finding.
// Build and run with scripts/fuzz_parquet.sh.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/base/error.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::parquet;
  std::span<const uint8_t> bytes(data, size);
  try {
    MemorySource source(bytes, "fuzz.parquet");
    FooterOptions options;
    options.tail_read_size = 256;  // exercise the two-read path too
    ParquetFooter footer = ReadFooter(source, options);
    // What validated must re-encode and decode to the same value.
    std::vector<uint8_t> encoded;
    EncodeFileMetaData(footer.metadata, &encoded);
    FileMetaData again = DecodeFileMetaData(encoded);
    if (again.row_groups.size() != footer.metadata.row_groups.size()) __builtin_trap();
  } catch (const sluice::Error&) {
  }
  try {
    DecodeFileMetaData(bytes);
  } catch (const sluice::Error&) {
  }
  try {
    DecodeColumnIndex(bytes);
  } catch (const sluice::Error&) {
  }
  try {
    DecodeOffsetIndex(bytes);
  } catch (const sluice::Error&) {
  }
  return 0;
}
