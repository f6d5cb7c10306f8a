// ColumnAppender: turns batches of decoded physical values plus their definition levels into one
// sluice Array, converting each value to the column's type (column_type.h) and placing nulls
// where a level is below the maximum. The validity bitmap is only built once a null appears.
//
// Values that cannot be converted (a decimal wider than 128 bits, an empty decimal) are
// InvalidData; string data past 2 GiB in one array is ResourceExhausted (read smaller batches).
//
// Ownership: owns the buffers it builds until Finish hands them to the Array.
// Thread safety: one thread per appender.
#pragma once

#include <cstdint>

#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/table/array.h"
#include "sluice/table/buffer_builder.h"

namespace sluice::parquet {

class ColumnAppender {
 public:
  ColumnAppender(ColumnType type, Allocator* allocator);

  // Appends `count` rows: `levels` holds their definition levels (null when the column has no
  // nulls to describe, then every row is present); `present` rows are at `max_level` and
  // `values` holds exactly their values, in order.
  void Append(const PhysicalValues& values, const int16_t* levels, int16_t max_level, int64_t count,
              int64_t present);
  int64_t length() const { return length_; }
  // The array of everything appended since the last Finish.
  Array Finish();

 private:
  void AppendValidity(const int16_t* levels, int16_t max_level, int64_t count, int64_t present);
  void AppendBinary(const PhysicalValues& values, const int16_t* levels, int16_t max_level,
                    int64_t count, int64_t present);
  void AppendBools(const PhysicalValues& values, const int16_t* levels, int16_t max_level,
                   int64_t count);
  void AppendFixed(const PhysicalValues& values, const int16_t* levels, int16_t max_level,
                   int64_t count, int64_t present);

  ColumnType type_;
  int32_t out_width_;
  BitmapBuilder validity_;
  bool has_validity_ = false;
  BufferBuilder values_;  // fixed-width values, or int32 offsets for string/binary
  BitmapBuilder bits_;    // bool values
  BufferBuilder data_;    // string/binary bytes
  int64_t length_ = 0;
  int64_t null_count_ = 0;
};

}  // namespace sluice::parquet
