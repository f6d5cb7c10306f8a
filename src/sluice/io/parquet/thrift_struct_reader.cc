#include "sluice/base/error.h"
#include "sluice/io/parquet/thrift_struct_reader_internal.h"

namespace sluice::parquet {

ThriftStructReader::ThriftStructReader(ThriftCompactReader& reader, const char* struct_name,
                                       std::span<const ThriftFieldSpec> fields)
    : reader_(reader), struct_name_(struct_name), fields_(fields) {
  reader_.BeginStruct();
}

bool ThriftStructReader::Next(ThriftField* field) {
  while (reader_.NextField(field)) {
    if (fields_.empty()) return true;
    bool known = false;
    for (const ThriftFieldSpec& spec : fields_) {
      if (spec.id != field->id) continue;
      known = spec.type == ThriftType::kBoolTrue ? field->IsBool() : field->type == spec.type;
      break;
    }
    if (known) return true;
    reader_.Skip(field->type);
  }
  reader_.EndStruct();
  return false;
}

void ThriftStructReader::Expect(const ThriftField& field, const char* name,
                                ThriftType expected) const {
  bool ok = expected == ThriftType::kBoolTrue ? field.IsBool() : field.type == expected;
  if (!ok) {
    throw InvalidData("thrift: {}.{} has wire type {}, expected {}", struct_name_, name,
                      ThriftTypeName(field.type), ThriftTypeName(expected))
        .With("offset", std::to_string(reader_.position()));
  }
}

void ThriftStructReader::Require(bool present, const char* name) const {
  if (!present) {
    throw InvalidData("thrift: {} lacks its required field {}", struct_name_, name)
        .With("offset", std::to_string(reader_.position()));
  }
}

bool ThriftStructReader::Bool(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kBoolTrue);
  return reader_.ReadBool();
}

int8_t ThriftStructReader::I8(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kI8);
  return reader_.ReadI8();
}

int16_t ThriftStructReader::I16(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kI16);
  return reader_.ReadI16();
}

int32_t ThriftStructReader::I32(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kI32);
  return reader_.ReadI32();
}

int64_t ThriftStructReader::I64(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kI64);
  return reader_.ReadI64();
}

double ThriftStructReader::Double(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kDouble);
  return reader_.ReadDouble();
}

std::string ThriftStructReader::String(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kBinary);
  return std::string(reader_.ReadBinary());
}

void ThriftStructReader::Struct(const ThriftField& field, const char* name) {
  Expect(field, name, ThriftType::kStruct);
}

uint32_t ThriftStructReader::List(const ThriftField& field, const char* name,
                                  ThriftType element_type) {
  if (field.type != ThriftType::kSet) Expect(field, name, ThriftType::kList);
  ThriftListHeader header = reader_.ReadListHeader();
  if (element_type == ThriftType::kBoolFalse) element_type = ThriftType::kBoolTrue;
  if (header.element_type != element_type) {
    throw InvalidData("thrift: {}.{} is a list of {}, expected a list of {}", struct_name_, name,
                      ThriftTypeName(header.element_type), ThriftTypeName(element_type))
        .With("offset", std::to_string(reader_.position()));
  }
  return header.size;
}

}  // namespace sluice::parquet
