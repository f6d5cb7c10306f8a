// DataType: the logical type of a column and how its values are laid out in memory. The layouts
// are Arrow's, so a column can cross the Arrow C Data Interface without a copy:
//   bool                       validity bitmap + value bitmap (1 bit per value, LSB first)
//   int*, uint*, float*, date32, timestamp, decimal128, fixed_size_binary
//                              validity bitmap + one fixed-width values buffer
//   string (UTF-8), binary     validity bitmap + int32 offsets (length + 1) + data bytes
//   list<T>, map<K, V>         validity bitmap + int32 offsets (length + 1) into one child array
//                              (a map's child is a struct<key: K not null, value: V>)
//   large_list<T>              validity bitmap + int64 offsets (length + 1) into one child array
//   fixed_size_list<T>[N]      validity bitmap; element i is child values [i*N, (i+1)*N)
//   struct<a: A, b: B, ...>    validity bitmap; one child array per field, row i of each
// Nested types carry their children as Fields, as Arrow's do. Two nested types are equal when
// their children have equal types and nullability, and, for a struct, equal names (a list's
// element or a map's entry names are not part of the type: writers spell them differently).
// Timestamps are int64 counts of a unit since the Unix epoch; with a zone they are UTC instants
// displayed in that zone, without one they are wall-clock values (Arrow's rule). date32 is days
// since the epoch. decimal128 values are 16-byte little-endian two's complement integers scaled
// by 10^-scale.
//
// Thread safety: a DataType is an immutable value.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The layouts above are little-endian, as is every machine sluice targets; hashes of values are
// defined over these bytes, which keeps them stable across machines.
static_assert(std::endian::native == std::endian::little, "sluice needs a little-endian host");

enum class TypeId : uint8_t {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat32,
  kFloat64,
  kString,
  kBinary,
  kFixedSizeBinary,
  kDate32,
  kTimestamp,
  kDecimal128,
  kList,
  kLargeList,
  kFixedSizeList,
  kStruct,
  kMap,
};

enum class TimeUnit : uint8_t { kSecond, kMilli, kMicro, kNano };

// "s", "ms", "us", "ns".
std::string_view TimeUnitName(TimeUnit unit);

// kNested: lists, maps and structs, whose values live in child arrays (see TypeId).
enum class Layout : uint8_t { kBitmap, kFixedWidth, kVariableBinary, kNested };

struct Field;

class DataType {
 public:
  static DataType Bool() { return DataType(TypeId::kBool); }
  static DataType Int8() { return DataType(TypeId::kInt8); }
  static DataType Int16() { return DataType(TypeId::kInt16); }
  static DataType Int32() { return DataType(TypeId::kInt32); }
  static DataType Int64() { return DataType(TypeId::kInt64); }
  static DataType UInt8() { return DataType(TypeId::kUInt8); }
  static DataType UInt16() { return DataType(TypeId::kUInt16); }
  static DataType UInt32() { return DataType(TypeId::kUInt32); }
  static DataType UInt64() { return DataType(TypeId::kUInt64); }
  static DataType Float32() { return DataType(TypeId::kFloat32); }
  static DataType Float64() { return DataType(TypeId::kFloat64); }
  static DataType String() { return DataType(TypeId::kString); }
  static DataType Binary() { return DataType(TypeId::kBinary); }
  static DataType Date32() { return DataType(TypeId::kDate32); }
  // Throws InvalidArgument for a negative width.
  static DataType FixedSizeBinary(int32_t byte_width);
  // An empty zone means a zone-less (wall-clock) timestamp.
  static DataType Timestamp(TimeUnit unit, std::string timezone = "");
  // precision 1..38 and scale <= precision, or InvalidArgument.
  static DataType Decimal128(int32_t precision, int32_t scale);
  // Lists of one element field (named "item" when given as a type).
  static DataType List(DataType value_type, bool value_nullable = true);
  static DataType List(Field value_field);
  static DataType LargeList(Field value_field);
  // list_size >= 0, or InvalidArgument.
  static DataType FixedSizeList(Field value_field, int32_t list_size);
  static DataType Struct(std::vector<Field> fields);
  // Entries struct<key: key_type not null, value: value_type>.
  static DataType Map(DataType key_type, DataType value_type, bool value_nullable = true,
                      bool keys_sorted = false);

  TypeId id() const { return id_; }
  Layout layout() const;
  // Bytes per value for fixed-width layouts; 0 for bool (bit-packed) and variable-length types.
  int32_t byte_width() const { return byte_width_; }
  bool is_fixed_width() const { return layout() == Layout::kFixedWidth; }
  int32_t precision() const { return precision_; }
  int32_t scale() const { return scale_; }
  TimeUnit unit() const { return unit_; }
  const std::string& timezone() const { return timezone_; }
  bool is_nested() const { return layout() == Layout::kNested; }
  // list, large_list, fixed_size_list and map: one child indexed by offsets (or by list_size).
  bool is_list_like() const {
    return id_ == TypeId::kList || id_ == TypeId::kLargeList || id_ == TypeId::kFixedSizeList ||
           id_ == TypeId::kMap;
  }
  // Child fields of a nested type (none for the others): a list's element, a map's entries
  // struct, a struct's fields.
  int num_fields() const;
  const std::vector<Field>& fields() const;
  const Field& field(int i) const;
  // A list-like type's element type (a map's entries struct).
  const DataType& value_type() const;
  int32_t list_size() const { return list_size_; }
  bool keys_sorted() const { return keys_sorted_; }

  // "int32", "string", "fixed_size_binary[16]", "timestamp[us, tz=UTC]", "decimal128(10, 2)",
  // "list<int32>", "fixed_size_list<float64 not null>[3]", "struct<a: int32, b: string>",
  // "map<string, int64>".
  std::string ToString() const;

  friend bool operator==(const DataType& a, const DataType& b);

 private:
  explicit DataType(TypeId id);

  TypeId id_;
  TimeUnit unit_ = TimeUnit::kSecond;
  int32_t byte_width_ = 0;
  int32_t precision_ = 0;
  int32_t scale_ = 0;
  std::string timezone_;
  int32_t list_size_ = 0;
  bool keys_sorted_ = false;
  // Shared: copying a nested type copies one pointer.
  std::shared_ptr<const std::vector<Field>> fields_;
};

// A named, typed, nullable child of a schema or of a nested type.
struct Field {
  std::string name;
  DataType type;
  bool nullable = true;

  // "name: int32" or "name: int32 not null".
  std::string ToString() const;
  friend bool operator==(const Field& a, const Field& b) = default;
};

}  // namespace sluice
