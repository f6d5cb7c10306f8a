// ColumnAppender: turns batches of decoded physical values plus their validity into one sluice
// Array, converting each value to the column's type (column_type.h) and placing nulls where the
// validity bit is clear. (A flat column's definition levels are 0 or 1, so a bitmap says all they
// say.) The validity bitmap of the array is only built once a null appears.
//
// Columns that need no conversion (fixed-width values and strings/binary as stored) can also be
// filled in place: the reader decodes the present values straight into the array's buffers
// (FixedSlots/BinaryEnds) and Commit* spreads them over their rows, so values are copied once,
// from the page into the array.
//
// Values that cannot be converted (a decimal wider than 128 bits, an empty decimal) are
// InvalidData; string data past 2 GiB in one array is ResourceExhausted (read smaller batches).
//
// Ownership: owns the buffers it builds until Finish hands them to the Array.
// Thread safety: one thread per appender.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/table/array.h"
#include "sluice/table/buffer_builder.h"

namespace sluice::parquet {

class ColumnAppender {
 public:
  ColumnAppender(ColumnType type, Allocator* allocator);

  // Appends `count` rows: `valid` holds their validity bits from bit 0 (null when every row is
  // present); `present` bits are set and `values` holds exactly those rows' values, in order.
  void Append(const PhysicalValues& values, const uint8_t* valid, int64_t count, int64_t present);
  // As Append, for fixed-width physical values stored back to back at `values`, `width` bytes
  // each.
  void AppendFixedValues(const uint8_t* values, int32_t width, const uint8_t* valid, int64_t count,
                         int64_t present);

  // Makes room for `rows` more rows, so a batch is built without regrowing (string bytes are
  // estimated from the previous batches).
  void Reserve(int64_t rows);
  // True when the column can be filled in place (no conversion; fixed-width or binary layout).
  bool direct_fixed() const { return direct_fixed_; }
  bool direct_binary() const { return direct_binary_; }
  // Fixed width: where the next `count` rows' values go; write the present ones there back to
  // back, then call CommitFixed.
  uint8_t* FixedSlots(int64_t count);
  void CommitFixed(const uint8_t* valid, int64_t count, int64_t present);
  // Binary: append the present values' bytes to `*data` and each one's end offset (in data) to
  // `*ends`, then call CommitBinary.
  void BinarySlots(int64_t count, int32_t** ends, BufferBuilder** data);
  void CommitBinary(const uint8_t* valid, int64_t count, int64_t present);

  int64_t length() const { return length_; }
  // The array of everything appended since the last Finish.
  Array Finish();

 private:
  void AppendValidity(const uint8_t* valid, int64_t count, int64_t present);
  void AppendBinary(const PhysicalValues& values, const uint8_t* valid, int64_t count,
                    int64_t present);
  void AppendBools(const uint8_t* values, const uint8_t* valid, int64_t count);
  void AppendFixed(const uint8_t* in, int64_t in_width, const ByteArrayBuffer* binary,
                   const uint8_t* valid, int64_t count, int64_t present);

  ColumnType type_;
  int32_t out_width_;
  BitmapBuilder validity_;
  bool has_validity_ = false;
  BufferBuilder values_;  // fixed-width values, or int32 offsets for string/binary
  BitmapBuilder bits_;    // bool values
  BufferBuilder data_;    // string/binary bytes
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  bool direct_fixed_ = false;
  bool direct_binary_ = false;
  // String bytes per row of the batches so far, to size the next batch's data buffer.
  double data_bytes_per_row_ = -1;
};

}  // namespace sluice::parquet
