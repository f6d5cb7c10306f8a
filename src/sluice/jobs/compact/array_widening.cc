#include "sluice/jobs/compact/array_widening.h"

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

Error CannotWiden(const Array& in, const DataType& to) {
  return InvalidData("cannot widen {} to {}", in.type().ToString(), to.ToString());
}

template <typename To, typename From>
Array Convert(const Array& in, const DataType& to) {
  FixedWidthBuilder<To> out(to);
  out.Reserve(in.length());
  for (int64_t i = 0; i < in.length(); ++i) {
    if (in.IsNull(i)) {
      out.AppendNull();
    } else {
      out.Append(static_cast<To>(in.Value<From>(i)));
    }
  }
  return out.Finish();
}

// Values of `in` (a narrower integer or float type) as To.
template <typename To>
Array ConvertTo(const Array& in, const DataType& to) {
  switch (in.type().id()) {
    case TypeId::kInt8:
      return Convert<To, int8_t>(in, to);
    case TypeId::kInt16:
      return Convert<To, int16_t>(in, to);
    case TypeId::kInt32:
      return Convert<To, int32_t>(in, to);
    case TypeId::kUInt8:
      return Convert<To, uint8_t>(in, to);
    case TypeId::kUInt16:
      return Convert<To, uint16_t>(in, to);
    case TypeId::kUInt32:
      return Convert<To, uint32_t>(in, to);
    case TypeId::kFloat32:
      return Convert<To, float>(in, to);
    default:
      throw CannotWiden(in, to);
  }
}

bool IsFloat(TypeId id) { return id == TypeId::kFloat32 || id == TypeId::kFloat64; }

}  // namespace

Array WidenArray(const Array& in, const DataType& to) {
  if (in.type() == to) return in;
  const TypeId from = in.type().id();
  // A float widens only to a float, an integer only to an integer.
  if (IsFloat(from) != IsFloat(to.id())) throw CannotWiden(in, to);
  switch (to.id()) {
    case TypeId::kInt16:
      return ConvertTo<int16_t>(in, to);
    case TypeId::kInt32:
      return ConvertTo<int32_t>(in, to);
    case TypeId::kInt64:
      return ConvertTo<int64_t>(in, to);
    case TypeId::kUInt16:
      return ConvertTo<uint16_t>(in, to);
    case TypeId::kUInt32:
      return ConvertTo<uint32_t>(in, to);
    case TypeId::kUInt64:
      return ConvertTo<uint64_t>(in, to);
    case TypeId::kFloat64:
      return ConvertTo<double>(in, to);
    case TypeId::kDecimal128:
      // Same scale, so the same 128-bit values: only the precision changes.
      if (from != TypeId::kDecimal128 || in.type().scale() != to.scale() ||
          in.type().precision() > to.precision()) {
        throw CannotWiden(in, to);
      }
      return Array::Make(to, in.length(), in.buffers(), in.null_count(), in.offset());
    default:
      throw CannotWiden(in, to);
  }
}

Array NullArray(const DataType& type, int64_t rows) {
  std::unique_ptr<ArrayBuilder> builder = MakeBuilder(type);
  builder->AppendNulls(rows);
  return builder->Finish();
}

RecordBatch AsSchema(const RecordBatch& batch, const std::shared_ptr<const Schema>& schema) {
  std::vector<Array> columns;
  for (int i = 0; i < schema->num_fields(); ++i) {
    const Field& field = schema->field(i);
    std::optional<int> have = batch.schema().FieldIndex(field.name);
    columns.push_back(have ? WidenArray(batch.column(*have), field.type)
                           : NullArray(field.type, batch.num_rows()));
  }
  return RecordBatch::Make(schema, std::move(columns), batch.num_rows());
}

}  // namespace sluice::compact
