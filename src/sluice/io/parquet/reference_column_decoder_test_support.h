// A deliberately simple column-chunk decoder for the tests of this folder: it walks a chunk's
// pages with the decoders of this layer and renders each value as text (integers in decimal,
// floats with fmt, booleans as true/false, bytes as they are), with nulls as nullopt. Nested
// columns yield only their leaf values (levels are checked, records are not assembled). The
// real column reader belongs to a later layer; this exists to check the decoders against real
// files and their expected values.
//
// Thread safety: pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sluice/io/parquet/footer.h"

namespace sluice::parquet::testing {

struct DecodedColumn {
  std::vector<std::optional<std::string>> values;  // one per level (null where def < max)
  int64_t pages = 0;
};

// Reads and decodes column chunk `column` of row group `row_group`. Pages whose uncompressed size
// exceeds `max_page_size` are walked and checked but not decompressed (huge test pages).
DecodedColumn DecodeColumnChunk(RandomAccessSource& source, const ParquetFooter& footer,
                                int row_group, int column, bool verify_crc = true,
                                int64_t max_page_size = 64 << 20);

}  // namespace sluice::parquet::testing
