// ThriftStructReader: the typed face of ThriftCompactReader used by the Parquet struct decoders.
// It opens a struct on construction and walks its fields. Given the struct's field table (id and
// wire type of each known field), Next skips unknown fields and, as Thrift's generated code
// does, fields whose wire type differs from the table: old writers reused some ids with other
// types. A required field skipped that way is then missing, which Require reports. Container
// element types are checked strictly (InvalidData naming the struct and field).
//
// Ownership: borrows the reader. Thread safety: as the reader (one thread).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/io/parquet/thrift_compact.h"

namespace sluice::parquet {

struct ThriftFieldSpec {
  int16_t id;
  ThriftType type;  // kBoolTrue stands for both boolean wire types
};

class ThriftStructReader {
 public:
  // Without a field table every field is returned and the accessors check wire types (unions).
  ThriftStructReader(ThriftCompactReader& reader, const char* struct_name,
                     std::span<const ThriftFieldSpec> fields = {});

  // The next known, well-typed field, or false at the struct's end (the struct is then closed).
  bool Next(ThriftField* field);

  bool Bool(const ThriftField& field, const char* name);
  int8_t I8(const ThriftField& field, const char* name);
  int16_t I16(const ThriftField& field, const char* name);
  int32_t I32(const ThriftField& field, const char* name);
  int64_t I64(const ThriftField& field, const char* name);
  double Double(const ThriftField& field, const char* name);
  std::string String(const ThriftField& field, const char* name);
  // Checks that the field is a struct; the caller then decodes it with the reader.
  void Struct(const ThriftField& field, const char* name);
  // Checks that the field is a list (or set) of the given element type; returns its size.
  uint32_t List(const ThriftField& field, const char* name, ThriftType element_type);
  void Skip(const ThriftField& field) { reader_.Skip(field.type); }

  // Throws InvalidData unless a required field was present.
  void Require(bool present, const char* name) const;

  ThriftCompactReader& reader() { return reader_; }

 private:
  void Expect(const ThriftField& field, const char* name, ThriftType expected) const;

  ThriftCompactReader& reader_;
  const char* struct_name_;
  std::span<const ThriftFieldSpec> fields_;
};

}  // namespace sluice::parquet
