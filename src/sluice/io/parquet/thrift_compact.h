// The Thrift compact protocol, by hand: a pull reader over a byte span and a writer that appends
// to a byte vector. Parquet stores its footer, page headers and page indexes this way.
//
// The reader is hardened for untrusted input: every length is checked against the bytes that
// remain before anything is allocated or read, containers cannot claim more elements than there
// are bytes, nesting is bounded, varints longer than their type allows are rejected, and unknown
// fields can be skipped. Every failure is an InvalidData error with the byte offset as context.
//
// Ownership: the reader borrows its input (views returned by ReadBinary point into it); the writer
// borrows its output vector. Thread safety: one reader or writer per thread; distinct objects
// are independent.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::parquet {

// Wire types of the compact protocol (field types and element types share these codes).
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kI8 = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,
};

// "i32", "struct", ... for error messages.
std::string_view ThriftTypeName(ThriftType type);

struct ThriftLimits {
  // Structs, lists, sets and maps nested deeper than this are rejected (stack safety).
  int max_depth = 64;
};

struct ThriftField {
  int16_t id = 0;
  ThriftType type = ThriftType::kStop;
  // For kBoolTrue/kBoolFalse: true when the field carries a boolean (its value is in the type).
  bool IsBool() const { return type == ThriftType::kBoolTrue || type == ThriftType::kBoolFalse; }
};

struct ThriftListHeader {
  ThriftType element_type = ThriftType::kStop;
  uint32_t size = 0;
};

struct ThriftMapHeader {
  ThriftType key_type = ThriftType::kStop;
  ThriftType value_type = ThriftType::kStop;
  uint32_t size = 0;
};

class ThriftCompactReader {
 public:
  explicit ThriftCompactReader(std::span<const uint8_t> data, ThriftLimits limits = {});

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  // Struct traversal: BeginStruct, then NextField until it returns false (the stop field), then
  // EndStruct. After NextField, read the field's value with the Read function of its type (a
  // boolean field's value is carried by its header: ReadBool returns it) or Skip it.
  void BeginStruct();
  bool NextField(ThriftField* field);
  void EndStruct();

  bool ReadBool();
  int8_t ReadI8();
  int16_t ReadI16();
  int32_t ReadI32();
  int64_t ReadI64();
  double ReadDouble();
  // A view into the input; valid while the input is.
  std::string_view ReadBinary();
  // Element and key/value headers; the sizes are already checked against the remaining bytes.
  ThriftListHeader ReadListHeader();
  ThriftMapHeader ReadMapHeader();

  // Skips a value of the given type (after NextField or as a container element).
  void Skip(ThriftType type);

 private:
  uint8_t ReadByte();
  uint64_t ReadVarint(int max_bytes);
  ThriftType ToElementType(uint8_t nibble);
  void SkipAtDepth(ThriftType type, int depth);
  [[noreturn]] void Fail(std::string_view what) const;

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  ThriftLimits limits_;
  // The last field id of each open struct (delta-encoded field ids are relative to it).
  std::vector<int16_t> last_field_ids_;
  int16_t last_field_id_ = 0;
  // A boolean field's value, set by NextField and consumed by ReadBool.
  bool has_pending_bool_ = false;
  bool pending_bool_ = false;
};

class ThriftCompactWriter {
 public:
  explicit ThriftCompactWriter(std::vector<uint8_t>* out) : out_(out) {}

  void BeginStruct();
  // Writes the stop field and returns to the enclosing struct.
  void EndStruct();

  // Field headers (the value follows with the element-level Write functions below, except for
  // booleans, whose value is the header).
  void WriteFieldHeader(int16_t id, ThriftType type);
  void WriteFieldBool(int16_t id, bool value);
  void WriteFieldI8(int16_t id, int8_t value);
  void WriteFieldI16(int16_t id, int16_t value);
  void WriteFieldI32(int16_t id, int32_t value);
  void WriteFieldI64(int16_t id, int64_t value);
  void WriteFieldDouble(int16_t id, double value);
  void WriteFieldBinary(int16_t id, std::string_view value);

  void WriteListHeader(ThriftType element_type, uint32_t size);
  void WriteMapHeader(ThriftType key_type, ThriftType value_type, uint32_t size);
  void WriteBool(bool value);
  void WriteI8(int8_t value);
  void WriteI16(int16_t value);
  void WriteI32(int32_t value);
  void WriteI64(int64_t value);
  void WriteDouble(double value);
  void WriteBinary(std::string_view value);

 private:
  void WriteVarint(uint64_t value);

  std::vector<uint8_t>* out_;
  std::vector<int16_t> last_field_ids_;
  int16_t last_field_id_ = 0;
};

}  // namespace sluice::parquet
