#include "sluice/table/sample_batch_test_support.h"

#include <fmt/format.h>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/nested_builder.h"

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
        case TypeId::kList:
        case TypeId::kLargeList:
        case TypeId::kFixedSizeList:
        case TypeId::kStruct:
        case TypeId::kMap:
          throw InternalError("nested sample columns come from MakeNestedSampleBatch");
      }
    }
    columns.push_back(builder->Finish());
  }
  return RecordBatch::Make(Schema(std::move(fields)), std::move(columns));
}

namespace {

// Row r's shape: null every 7th row (from `phase`), empty every 5th, else 1..3 elements.
bool NullRow(int64_t r, int64_t phase) { return (r + phase) % 7 == 3; }
int64_t ListLength(int64_t r) { return r % 5 == 0 ? 0 : 1 + r % 3; }

DataType PointType() {
  return DataType::Struct({{"x", DataType::Int32()}, {"tags", DataType::List(DataType::String())}});
}

void AppendInts(ListBuilder& list, int64_t r) {
  list.Append();
  auto& values = static_cast<Int32Builder&>(list.values());
  for (int64_t k = 0; k < ListLength(r); ++k) {
    if ((r + k) % 4 == 1) {
      values.AppendNull();
    } else {
      values.Append(static_cast<int32_t>(r * 10 + k));
    }
  }
}

void AppendPoint(StructBuilder& point, int64_t r, int64_t k) {
  point.Append();
  static_cast<Int32Builder&>(point.child(0)).Append(static_cast<int32_t>(r - k));
  auto& tags = static_cast<ListBuilder&>(point.child(1));
  if ((r + k) % 3 == 2) {
    tags.AppendNull();
    return;
  }
  tags.Append();
  for (int64_t t = 0; t < (r + k) % 3; ++t) {
    static_cast<BinaryBuilder&>(tags.values()).Append(fmt::format("t{}", r + t));
  }
}

void AppendRow(ArrayBuilder& builder, int64_t r) {
  const DataType& type = builder.type();
  switch (type.id()) {
    case TypeId::kList:
      if (type.value_type().id() == TypeId::kInt32) {
        return AppendInts(static_cast<ListBuilder&>(builder), r);
      } else if (type.value_type().id() == TypeId::kList) {
        auto& outer = static_cast<ListBuilder&>(builder);
        outer.Append();
        for (int64_t k = 0; k < ListLength(r + 1); ++k) {
          auto& inner = static_cast<ListBuilder&>(outer.values());
          if (k == 1 && r % 2 == 0) {
            inner.AppendNull();
          } else {
            AppendInts(inner, r + k);
          }
        }
      } else {
        auto& points = static_cast<ListBuilder&>(builder);
        points.Append();
        auto& point = static_cast<StructBuilder&>(points.values());
        for (int64_t k = 0; k < ListLength(r + 2); ++k) {
          if ((r + k) % 6 == 4) {
            point.AppendNull();
          } else {
            AppendPoint(point, r, k);
          }
        }
      }
      return;
    case TypeId::kLargeList: {
      auto& names = static_cast<ListBuilder&>(builder);
      names.Append();
      for (int64_t k = 0; k < ListLength(r + 3); ++k) {
        static_cast<BinaryBuilder&>(names.values()).Append(fmt::format("n{}-{}", r, k));
      }
      return;
    }
    case TypeId::kFixedSizeList: {
      auto& pair = static_cast<FixedSizeListBuilder&>(builder);
      pair.Append();
      auto& values = static_cast<Float64Builder&>(pair.values());
      values.Append(static_cast<double>(r) / 4);
      if (r % 4 == 2) {
        values.AppendNull();
      } else {
        values.Append(-static_cast<double>(r));
      }
      return;
    }
    case TypeId::kStruct:
      return AppendPoint(static_cast<StructBuilder&>(builder), r, 0);
    case TypeId::kMap: {
      auto& map = static_cast<ListBuilder&>(builder);
      map.Append();
      auto& entries = static_cast<StructBuilder&>(map.values());
      for (int64_t k = 0; k < ListLength(r + 4); ++k) {
        entries.Append();
        static_cast<BinaryBuilder&>(entries.child(0)).Append(fmt::format("k{}", k));
        auto& value = static_cast<Int64Builder&>(entries.child(1));
        if ((r + k) % 3 == 1) {
          value.AppendNull();
        } else {
          value.Append(r * 100 + k);
        }
      }
      return;
    }
    default:
      throw InternalError("no nested sample for {}", type.ToString());
  }
}

}  // namespace

RecordBatch MakeNestedSampleBatch(int64_t rows, Allocator* allocator) {
  std::vector<Field> fields = {
      {"ints", DataType::List(DataType::Int32())},
      {"names", DataType::LargeList(Field{"item", DataType::String(), false})},
      {"pair", DataType::FixedSizeList(Field{"item", DataType::Float64()}, 2)},
      {"point", PointType()},
      {"attrs", DataType::Map(DataType::String(), DataType::Int64())},
      {"points", DataType::List(PointType())},
      {"grid", DataType::List(DataType::List(DataType::Int32()))},
  };
  std::vector<Array> columns;
  for (size_t c = 0; c < fields.size(); ++c) {
    std::unique_ptr<ArrayBuilder> builder = MakeBuilder(fields[c].type, allocator);
    for (int64_t r = 0; r < rows; ++r) {
      if (NullRow(r, static_cast<int64_t>(c))) {
        builder->AppendNull();
      } else {
        AppendRow(*builder, r);
      }
    }
    columns.push_back(builder->Finish());
  }
  return RecordBatch::Make(Schema(std::move(fields)), std::move(columns));
}

}  // namespace sluice
