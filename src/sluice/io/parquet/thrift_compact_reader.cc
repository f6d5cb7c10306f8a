#include <cstring>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/io/parquet/thrift_compact.h"

namespace sluice::parquet {
namespace {

int64_t ZigZagDecode(uint64_t n) {
  return static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1);
}

// The fewest bytes one element of a type occupies on the wire; bounds container sizes.
size_t MinWireSize(ThriftType type) {
  switch (type) {
    case ThriftType::kDouble:
      return 8;
    case ThriftType::kUuid:
      return 16;
    default:
      return 1;
  }
}

}  // namespace

std::string_view ThriftTypeName(ThriftType type) {
  switch (type) {
    case ThriftType::kStop:
      return "stop";
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      return "bool";
    case ThriftType::kI8:
      return "i8";
    case ThriftType::kI16:
      return "i16";
    case ThriftType::kI32:
      return "i32";
    case ThriftType::kI64:
      return "i64";
    case ThriftType::kDouble:
      return "double";
    case ThriftType::kBinary:
      return "binary";
    case ThriftType::kList:
      return "list";
    case ThriftType::kSet:
      return "set";
    case ThriftType::kMap:
      return "map";
    case ThriftType::kStruct:
      return "struct";
    case ThriftType::kUuid:
      return "uuid";
  }
  return "invalid";
}

ThriftCompactReader::ThriftCompactReader(std::span<const uint8_t> data, ThriftLimits limits)
    : data_(data), limits_(limits) {}

void ThriftCompactReader::Fail(std::string_view what) const {
  throw InvalidData("thrift: {}", what).With("offset", std::to_string(pos_));
}

uint8_t ThriftCompactReader::ReadByte() {
  if (pos_ >= data_.size()) Fail("unexpected end of data");
  return data_[pos_++];
}

uint64_t ThriftCompactReader::ReadVarint(int max_bytes) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    uint8_t byte = ReadByte();
    // The tenth byte of a 64-bit varint may only carry the top bit.
    if (i == 9 && byte > 1) Fail("varint overflows 64 bits");
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return result;
  }
  Fail("varint is too long");
}

void ThriftCompactReader::BeginStruct() {
  if (static_cast<int>(last_field_ids_.size()) >= limits_.max_depth) Fail("nesting too deep");
  last_field_ids_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void ThriftCompactReader::EndStruct() {
  if (last_field_ids_.empty()) Fail("EndStruct without BeginStruct");
  last_field_id_ = last_field_ids_.back();
  last_field_ids_.pop_back();
}

bool ThriftCompactReader::NextField(ThriftField* field) {
  has_pending_bool_ = false;
  uint8_t header = ReadByte();
  if (header == 0) return false;
  uint8_t type = header & 0x0f;
  uint8_t delta = header >> 4;
  if (type == 0 || type > static_cast<uint8_t>(ThriftType::kUuid)) {
    Fail("invalid field type " + std::to_string(type));
  }
  int32_t id;
  if (delta == 0) {
    id = ReadI16();
  } else {
    id = last_field_id_ + delta;
    if (id > std::numeric_limits<int16_t>::max()) Fail("field id overflows i16");
  }
  field->id = static_cast<int16_t>(id);
  field->type = static_cast<ThriftType>(type);
  last_field_id_ = field->id;
  if (field->IsBool()) {
    has_pending_bool_ = true;
    pending_bool_ = field->type == ThriftType::kBoolTrue;
  }
  return true;
}

bool ThriftCompactReader::ReadBool() {
  if (has_pending_bool_) {
    has_pending_bool_ = false;
    return pending_bool_;
  }
  // As a container element a boolean is a byte: 1 is true (2, or the 0 some writers use, false).
  return ReadByte() == 1;
}

int8_t ThriftCompactReader::ReadI8() { return static_cast<int8_t>(ReadByte()); }

int16_t ThriftCompactReader::ReadI16() {
  uint64_t raw = ReadVarint(3);
  if (raw > std::numeric_limits<uint16_t>::max()) Fail("i16 out of range");
  return static_cast<int16_t>(ZigZagDecode(raw));
}

int32_t ThriftCompactReader::ReadI32() {
  uint64_t raw = ReadVarint(5);
  if (raw > std::numeric_limits<uint32_t>::max()) Fail("i32 out of range");
  return static_cast<int32_t>(ZigZagDecode(raw));
}

int64_t ThriftCompactReader::ReadI64() { return ZigZagDecode(ReadVarint(10)); }

double ThriftCompactReader::ReadDouble() {
  if (remaining() < 8) Fail("unexpected end of data in double");
  double value;
  std::memcpy(&value, data_.data() + pos_, 8);
  pos_ += 8;
  return value;
}

std::string_view ThriftCompactReader::ReadBinary() {
  uint64_t length = ReadVarint(5);
  if (length > remaining()) {
    Fail("binary length " + std::to_string(length) + " exceeds the " + std::to_string(remaining()) +
         " remaining bytes");
  }
  std::string_view view(reinterpret_cast<const char*>(data_.data() + pos_), length);
  pos_ += length;
  return view;
}

ThriftType ThriftCompactReader::ToElementType(uint8_t nibble) {
  if (nibble == 0 || nibble > static_cast<uint8_t>(ThriftType::kUuid)) {
    Fail("invalid element type " + std::to_string(nibble));
  }
  // Both 1 and 2 mean bool as an element type; keep one spelling.
  if (nibble == static_cast<uint8_t>(ThriftType::kBoolFalse)) return ThriftType::kBoolTrue;
  return static_cast<ThriftType>(nibble);
}

ThriftListHeader ThriftCompactReader::ReadListHeader() {
  has_pending_bool_ = false;
  uint8_t header = ReadByte();
  ThriftListHeader list;
  list.element_type = ToElementType(header & 0x0f);
  uint64_t size = header >> 4;
  if (size == 15) size = ReadVarint(5);
  if (size > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
      size * MinWireSize(list.element_type) > remaining()) {
    Fail("list of " + std::to_string(size) + " elements exceeds the " +
         std::to_string(remaining()) + " remaining bytes");
  }
  list.size = static_cast<uint32_t>(size);
  return list;
}

ThriftMapHeader ThriftCompactReader::ReadMapHeader() {
  has_pending_bool_ = false;
  ThriftMapHeader map;
  uint64_t size = ReadVarint(5);
  if (size == 0) return map;
  uint8_t types = ReadByte();
  map.key_type = ToElementType(types >> 4);
  map.value_type = ToElementType(types & 0x0f);
  if (size > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
      size * (MinWireSize(map.key_type) + MinWireSize(map.value_type)) > remaining()) {
    Fail("map of " + std::to_string(size) + " entries exceeds the " + std::to_string(remaining()) +
         " remaining bytes");
  }
  map.size = static_cast<uint32_t>(size);
  return map;
}

void ThriftCompactReader::Skip(ThriftType type) { SkipAtDepth(type, 0); }

void ThriftCompactReader::SkipAtDepth(ThriftType type, int depth) {
  if (static_cast<int>(last_field_ids_.size()) + depth >= limits_.max_depth) {
    Fail("nesting too deep");
  }
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      ReadBool();
      return;
    case ThriftType::kI8:
      ReadByte();
      return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      ReadVarint(10);
      return;
    case ThriftType::kDouble:
      ReadDouble();
      return;
    case ThriftType::kBinary:
      ReadBinary();
      return;
    case ThriftType::kUuid:
      if (remaining() < 16) Fail("unexpected end of data in uuid");
      pos_ += 16;
      return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftListHeader list = ReadListHeader();
      for (uint32_t i = 0; i < list.size; ++i) SkipAtDepth(list.element_type, depth + 1);
      return;
    }
    case ThriftType::kMap: {
      ThriftMapHeader map = ReadMapHeader();
      for (uint32_t i = 0; i < map.size; ++i) {
        SkipAtDepth(map.key_type, depth + 1);
        SkipAtDepth(map.value_type, depth + 1);
      }
      return;
    }
    case ThriftType::kStruct: {
      BeginStruct();
      ThriftField field;
      while (NextField(&field)) SkipAtDepth(field.type, depth);
      EndStruct();
      return;
    }
    case ThriftType::kStop:
      break;
  }
  Fail("cannot skip a value of type " + std::string(ThriftTypeName(type)));
}

}  // namespace sluice::parquet
