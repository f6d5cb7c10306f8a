#include "sluice/ops/json_text.h"

#include <cmath>
#include <string>
#include <vector>

#include "sluice/io/csv/csv_text.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

// A list as a JSON array, a struct as an object, a map as an object keyed by its keys' text.
nlohmann::ordered_json NestedJson(const Array& array, int64_t i) {
  const DataType& type = array.type();
  if (type.id() == TypeId::kStruct) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (int k = 0; k < array.num_children(); ++k) {
      object[type.field(k).name] = JsonValue(array.child(k), array.offset() + i);
    }
    return object;
  }
  const Array& values = array.child(0);
  if (type.id() == TypeId::kMap) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (int64_t r = array.ValueBegin(i); r < array.ValueEnd(i); ++r) {
      const int64_t row = values.offset() + r;
      const Array& keys = values.child(0);
      nlohmann::ordered_json key = JsonValue(keys, row);
      object[key.is_string() ? key.get<std::string>() : key.dump()] =
          JsonValue(values.child(1), row);
    }
    return object;
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (int64_t r = array.ValueBegin(i); r < array.ValueEnd(i); ++r) {
    list.push_back(JsonValue(values, r));
  }
  return list;
}

}  // namespace

nlohmann::ordered_json JsonValue(const Array& array, int64_t i) {
  if (array.IsNull(i)) return nullptr;
  switch (array.type().id()) {
    case TypeId::kBool:
      return array.BoolValue(i);
    case TypeId::kInt8:
      return array.Value<int8_t>(i);
    case TypeId::kInt16:
      return array.Value<int16_t>(i);
    case TypeId::kInt32:
      return array.Value<int32_t>(i);
    case TypeId::kInt64:
      return array.Value<int64_t>(i);
    case TypeId::kUInt8:
      return array.Value<uint8_t>(i);
    case TypeId::kUInt16:
      return array.Value<uint16_t>(i);
    case TypeId::kUInt32:
      return array.Value<uint32_t>(i);
    case TypeId::kUInt64:
      return array.Value<uint64_t>(i);
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double v =
          array.type().id() == TypeId::kFloat32 ? array.Value<float>(i) : array.Value<double>(i);
      // JSON has no NaN or infinity: those print as strings.
      if (!std::isfinite(v)) return FormatValue(array, i);
      return v;
    }
    case TypeId::kList:
    case TypeId::kLargeList:
    case TypeId::kFixedSizeList:
    case TypeId::kStruct:
    case TypeId::kMap:
      return NestedJson(array, i);
    default:
      return csv::CellText(array, i);
  }
}

RecordBatch NestedAsJsonText(const RecordBatch& batch) {
  bool nested = false;
  for (const Field& field : batch.schema().fields()) nested |= field.type.is_nested();
  if (!nested) return batch;
  std::vector<Field> fields = batch.schema().fields();
  std::vector<Array> columns = batch.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!fields[c].type.is_nested()) continue;
    StringBuilder text;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      if (columns[c].IsNull(r)) {
        text.AppendNull();
      } else {
        text.Append(JsonValue(columns[c], r)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
    fields[c].type = DataType::String();
    columns[c] = text.Finish();
  }
  return RecordBatch::Make(Schema(std::move(fields)), std::move(columns), batch.num_rows());
}

}  // namespace sluice
