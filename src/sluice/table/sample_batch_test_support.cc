#include "sluice/table/sample_batch_test_support.h"

#include <fmt/format.h>

#include "sluice/table/builder.h"

namespace sluice {

RecordBatch MakeSampleBatch(int64_t rows, Allocator* allocator) {
  std::vector<Field> fields = {
      {"flag", DataType::Bool()},
      {"i8", DataType::Int8()},
      {"i16", DataType::Int16()},
      {"i32", DataType::Int32()},
      {"i64", DataType::Int64()},
      {"u8", DataType::UInt8()},
      {"u16", DataType::UInt16()},
      {"u32", DataType::UInt32()},
      {"u64", DataType::UInt64()},
      {"f32", DataType::Float32()},
      {"f64", DataType::Float64()},
      {"name", DataType::String()},
      {"blob", DataType::Binary()},
      {"code", DataType::FixedSizeBinary(4)},
      {"day", DataType::Date32()},
      {"at", DataType::Timestamp(TimeUnit::kMicro, "UTC")},
      {"at_ns", DataType::Timestamp(TimeUnit::kNano)},
      {"amount", DataType::Decimal128(20, 3)},
  };
  std::vector<Array> columns;
  for (size_t c = 0; c < fields.size(); ++c) {
    std::unique_ptr<ArrayBuilder> builder = MakeBuilder(fields[c].type, allocator);
    for (int64_t r = 0; r < rows; ++r) {
      if ((r + static_cast<int64_t>(c)) % 7 == 3) {
        builder->AppendNull();
        continue;
      }
      int64_t v = r * 37 - 500;
      switch (fields[c].type.id()) {
        case TypeId::kBool:
          static_cast<BoolBuilder*>(builder.get())->Append(r % 3 == 0);
          break;
        case TypeId::kInt8:
          static_cast<Int8Builder*>(builder.get())->Append(static_cast<int8_t>(v));
          break;
        case TypeId::kInt16:
          static_cast<Int16Builder*>(builder.get())->Append(static_cast<int16_t>(v));
          break;
        case TypeId::kInt32:
          static_cast<Int32Builder*>(builder.get())->Append(static_cast<int32_t>(v));
          break;
        case TypeId::kInt64:
          static_cast<Int64Builder*>(builder.get())->Append(v * 1000003);
          break;
        case TypeId::kUInt8:
          static_cast<UInt8Builder*>(builder.get())->Append(static_cast<uint8_t>(r));
          break;
        case TypeId::kUInt16:
          static_cast<UInt16Builder*>(builder.get())->Append(static_cast<uint16_t>(r * 7));
          break;
        case TypeId::kUInt32:
          static_cast<UInt32Builder*>(builder.get())->Append(static_cast<uint32_t>(r * 70001));
          break;
        case TypeId::kUInt64:
          static_cast<UInt64Builder*>(builder.get())->Append(static_cast<uint64_t>(r) << 40);
          break;
        case TypeId::kFloat32:
          static_cast<Float32Builder*>(builder.get())->Append(static_cast<float>(v) / 4);
          break;
        case TypeId::kFloat64:
          static_cast<Float64Builder*>(builder.get())->Append(static_cast<double>(v) / 3);
          break;
        case TypeId::kString:
          static_cast<BinaryBuilder*>(builder.get())
              ->Append(r % 5 == 0 ? "" : fmt::format("name-{}-{}", r, std::string(r % 11, 'x')));
          break;
        case TypeId::kBinary: {
          std::string bytes = {static_cast<char>(r), '\0', static_cast<char>(0xff)};
          static_cast<BinaryBuilder*>(builder.get())->Append(bytes);
          break;
        }
        case TypeId::kFixedSizeBinary: {
          std::string bytes = {static_cast<char>(r), 'a', '\0', static_cast<char>(r >> 8)};
          static_cast<FixedSizeBinaryBuilder*>(builder.get())->Append(bytes);
          break;
        }
        case TypeId::kDate32:
          static_cast<Int32Builder*>(builder.get())->Append(static_cast<int32_t>(19000 + v));
          break;
        case TypeId::kTimestamp:
          static_cast<Int64Builder*>(builder.get())->Append(1700000000000000 + v * 1000001);
          break;
        case TypeId::kDecimal128:
          static_cast<Decimal128Builder*>(builder.get())
              ->Append(Decimal128::FromInt128(static_cast<__int128>(v) * 1000000007));
          break;
      }
    }
    columns.push_back(builder->Finish());
  }
  return RecordBatch::Make(Schema(std::move(fields)), std::move(columns));
}

}  // namespace sluice
