// PageValueDecoder: the values section of one data page (or a dictionary page), in any encoding
// the format defines for the column's physical type, decoded in batches into PhysicalValues.
// Dictionary-encoded pages gather from the column chunk's decoded dictionary.
//
// An encoding that does not fit the physical type, a dictionary-encoded page without a
// dictionary, an index past the dictionary and a section holding fewer values than asked for are
// InvalidData. Work and memory follow the values asked for, never a count claimed by the data.
//
// Ownership: borrows the page bytes and the dictionary, which must outlive the section.
// Thread safety: one thread per decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/io/parquet/byte_array_buffer.h"
#include "sluice/io/parquet/byte_stream_split.h"
#include "sluice/io/parquet/delta_binary_packed.h"
#include "sluice/io/parquet/delta_byte_array.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"
#include "sluice/table/buffer_builder.h"

namespace sluice::parquet {

// Decoded physical values: fixed-width ones (BOOLEAN as one 0/1 byte each, INT32, INT64, INT96,
// FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY) back to back in `fixed`, `width` bytes each; BYTE_ARRAY
// ones in `binary`.
struct PhysicalValues {
  int32_t width = 0;  // 0 for BYTE_ARRAY
  std::vector<uint8_t> fixed;
  ByteArrayBuffer binary;

  int64_t size() const {
    return width == 0 ? static_cast<int64_t>(binary.size())
                      : static_cast<int64_t>(fixed.size()) / width;
  }
  void Clear() {
    fixed.clear();
    binary.Clear();
  }
};

// Bytes per decoded value of a physical type (1 for BOOLEAN, 0 for BYTE_ARRAY).
int32_t PhysicalValueWidth(PhysicalType type, int32_t type_length);

class PageValueDecoder {
 public:
  PageValueDecoder(PhysicalType type, int32_t type_length);

  // Starts a values section in `encoding`. `dictionary` is the chunk's dictionary, or null when
  // it has none.
  void Reset(Encoding encoding, std::span<const uint8_t> data, const PhysicalValues* dictionary);
  // Appends exactly `count` values to `out` (whose width must be this column's).
  void Decode(int64_t count, PhysicalValues* out);
  // Fixed-width columns: writes exactly `count` values (width bytes each) to `out`.
  void DecodeFixed(int64_t count, uint8_t* out);
  // BYTE_ARRAY columns: appends exactly `count` values' bytes to `data` and writes the end offset
  // of each (from data's start) to `ends`, which has room for `count`.
  void DecodeBinary(int64_t count, int32_t* ends, BufferBuilder* data);
  // Whether the section holds dictionary indices (PLAIN_DICTIONARY or RLE_DICTIONARY).
  bool dictionary_encoded() const {
    return encoding_ == Encoding::kPlainDictionary || encoding_ == Encoding::kRleDictionary;
  }
  // A dictionary-encoded section: writes exactly `count` indices (each checked to lie inside the
  // dictionary) to `out`.
  void DecodeDictionaryIndices(int64_t count, int32_t* out);

 private:
  [[noreturn]] void Short(int64_t got, int64_t count) const;
  void DecodeIndices(int64_t count);

  PhysicalType type_;
  int32_t width_;
  Encoding encoding_ = Encoding::kPlain;
  const PhysicalValues* dictionary_ = nullptr;
  PlainDecoder plain_{{}};
  RleBitPackedDecoder rle_;
  DeltaBinaryPackedDecoder<int32_t> delta32_;
  DeltaBinaryPackedDecoder<int64_t> delta64_;
  DeltaLengthByteArrayDecoder delta_length_;
  DeltaByteArrayDecoder delta_bytes_;
  ByteStreamSplitDecoder split_;
  std::vector<uint32_t> indices_;
  ByteArrayBuffer scratch_;
};

// Decodes a dictionary page's `count` PLAIN values. The count is checked against the page's size
// before anything is allocated.
void DecodeDictionaryPage(PhysicalType type, int32_t type_length, std::span<const uint8_t> data,
                          int64_t count, PhysicalValues* out);

}  // namespace sluice::parquet
