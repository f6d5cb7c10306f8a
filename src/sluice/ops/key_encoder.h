// KeyEncoder: turns the key columns of a row into one byte string, so that rows with equal keys
// (SQL grouping equality: nulls equal to nulls, NaN equal to NaN, -0.0 equal to +0.0) have equal
// strings and any set of key types is compared with one memcmp. Group-by, distinct and join all
// key their hash tables on these strings; Decode turns a sequence of them back into columns.
//
// Layout, column after column: one byte 0 (null) or 1 (valid); for a valid value, its
// little-endian storage bytes (bool: one byte; floats normalised as in table/hash.h), or for
// string and binary a 4-byte length and the bytes. The strings live only in memory: the layout is
// free to change and never written to disk.
//
// Thread safety: an encoder holds scratch space; use one per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/table/array.h"
#include "sluice/table/schema.h"
#include "sluice/table/type.h"

namespace sluice {

// InvalidArgument naming the column when `field` is nested (a list, struct or map): keys are
// flat columns, nested ones travel as payload only. `role` says which key ("group key").
void CheckFlatKey(const Field& field, std::string_view role);

class KeyEncoder {
 public:
  explicit KeyEncoder(std::vector<DataType> types);

  const std::vector<DataType>& types() const { return types_; }

  // Encodes rows [0, length) of the key columns (one per type, equal lengths). The keys stay
  // valid until the next call.
  void Encode(std::span<const Array* const> columns);
  int64_t num_rows() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  std::string_view key(int64_t row) const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()) + offsets_[row],
                            offsets_[row + 1] - offsets_[row]);
  }

  // Frees the scratch space of the last Encode (its keys become invalid).
  void Release();
  // Bytes of the keys Encode(columns) makes at most (without reading the values).
  static int64_t EncodedBytesBound(std::span<const Array* const> columns);
  // Scratch space held (the last Encode's keys and offsets).
  int64_t ByteSize() const;

  // Columns holding the keys in order.
  std::vector<Array> Decode(std::span<const std::string_view> keys) const;

 private:
  void EncodeColumn(const Array& column, const DataType& type);
  template <typename Write>
  void EncodeEach(const Array& column, Write&& write);

  std::vector<DataType> types_;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> cursor_;
};

}  // namespace sluice
