// The steps of reading a column chunk's pages that the flat column reader (column_reader.h) and
// the nested leaf reader (nested_leaf_reader.h) take alike: the checks every page passes before
// it is decoded, the dictionary page, and a run of decoded values into the appender.
//
// Thread safety: free functions over the caller's objects.
#pragma once

#include <cstdint>
#include <span>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/column_reader.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/schema.h"
#include "sluice/io/parquet/scratch_buffer.h"

namespace sluice::parquet {

class ColumnAppender;

// InvalidData when the page claims more uncompressed bytes than options.max_page_size, or (with
// options.verify_crc) when its CRC does not match.
void CheckPage(const PageHeader& header, std::span<const uint8_t> data,
               const ColumnReadOptions& options);

// Decodes a dictionary page into `dictionary`, decompressing through `page_bytes`. `misplaced`:
// the chunk already had a dictionary page or a data page (InvalidData).
void ReadDictionaryPage(const RawPage& page, const ColumnDescriptor& column, Codec& codec,
                        bool misplaced, ScratchBuffer& page_bytes, PhysicalValues* dictionary);

// `count` slots, `present` of them with a value (`valid`: their bitmap, null when all are), decoded
// from `decoder` into `appender`: straight into its buffers where its layout allows, else through
// `values` or `fixed`.
void DecodeValuesInto(PageValueDecoder& decoder, ColumnAppender& appender, PhysicalValues& values,
                      ScratchBuffer& fixed, int64_t count, int64_t present, const uint8_t* valid);

}  // namespace sluice::parquet
