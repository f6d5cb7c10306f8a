#include <cstring>

#include "sluice/base/check.h"
#include "sluice/io/parquet/thrift_compact.h"

namespace sluice::parquet {
namespace {

uint64_t ZigZagEncode(int64_t n) {
  return (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
}

}  // namespace

void ThriftCompactWriter::WriteVarint(uint64_t value) {
  while (value >= 0x80) {
    out_->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out_->push_back(static_cast<uint8_t>(value));
}

void ThriftCompactWriter::BeginStruct() {
  last_field_ids_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void ThriftCompactWriter::EndStruct() {
  SLUICE_CHECK(!last_field_ids_.empty());
  out_->push_back(0);
  last_field_id_ = last_field_ids_.back();
  last_field_ids_.pop_back();
}

void ThriftCompactWriter::WriteFieldHeader(int16_t id, ThriftType type) {
  int32_t delta = static_cast<int32_t>(id) - last_field_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<uint8_t>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    out_->push_back(static_cast<uint8_t>(type));
    WriteVarint(ZigZagEncode(id));
  }
  last_field_id_ = id;
}

void ThriftCompactWriter::WriteFieldBool(int16_t id, bool value) {
  WriteFieldHeader(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void ThriftCompactWriter::WriteFieldI8(int16_t id, int8_t value) {
  WriteFieldHeader(id, ThriftType::kI8);
  WriteI8(value);
}

void ThriftCompactWriter::WriteFieldI16(int16_t id, int16_t value) {
  WriteFieldHeader(id, ThriftType::kI16);
  WriteI16(value);
}

void ThriftCompactWriter::WriteFieldI32(int16_t id, int32_t value) {
  WriteFieldHeader(id, ThriftType::kI32);
  WriteI32(value);
}

void ThriftCompactWriter::WriteFieldI64(int16_t id, int64_t value) {
  WriteFieldHeader(id, ThriftType::kI64);
  WriteI64(value);
}

void ThriftCompactWriter::WriteFieldDouble(int16_t id, double value) {
  WriteFieldHeader(id, ThriftType::kDouble);
  WriteDouble(value);
}

void ThriftCompactWriter::WriteFieldBinary(int16_t id, std::string_view value) {
  WriteFieldHeader(id, ThriftType::kBinary);
  WriteBinary(value);
}

void ThriftCompactWriter::WriteListHeader(ThriftType element_type, uint32_t size) {
  // Booleans as elements use type 1, as the reference implementations write them.
  auto type = static_cast<uint8_t>(element_type == ThriftType::kBoolFalse ? ThriftType::kBoolTrue
                                                                          : element_type);
  if (size < 15) {
    out_->push_back(static_cast<uint8_t>((size << 4) | type));
  } else {
    out_->push_back(static_cast<uint8_t>(0xf0 | type));
    WriteVarint(size);
  }
}

void ThriftCompactWriter::WriteMapHeader(ThriftType key_type, ThriftType value_type,
                                         uint32_t size) {
  WriteVarint(size);
  if (size == 0) return;
  out_->push_back(static_cast<uint8_t>((static_cast<uint8_t>(key_type) << 4) |
                                       static_cast<uint8_t>(value_type)));
}

void ThriftCompactWriter::WriteBool(bool value) { out_->push_back(value ? 1 : 2); }

void ThriftCompactWriter::WriteI8(int8_t value) { out_->push_back(static_cast<uint8_t>(value)); }

void ThriftCompactWriter::WriteI16(int16_t value) { WriteVarint(ZigZagEncode(value)); }

void ThriftCompactWriter::WriteI32(int32_t value) { WriteVarint(ZigZagEncode(value)); }

void ThriftCompactWriter::WriteI64(int64_t value) { WriteVarint(ZigZagEncode(value)); }

void ThriftCompactWriter::WriteDouble(double value) {
  uint8_t bytes[8];
  std::memcpy(bytes, &value, 8);
  out_->insert(out_->end(), bytes, bytes + 8);
}

void ThriftCompactWriter::WriteBinary(std::string_view value) {
  WriteVarint(value.size());
  out_->insert(out_->end(), value.begin(), value.end());
}

}  // namespace sluice::parquet
