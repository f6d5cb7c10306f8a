#include "sluice/ops/join/join_plan.h"

#include <algorithm>
#include <optional>
#include <set>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

bool IsSigned(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
         id == TypeId::kInt64;
}
bool IsUnsigned(TypeId id) {
  return id == TypeId::kUInt8 || id == TypeId::kUInt16 || id == TypeId::kUInt32 ||
         id == TypeId::kUInt64;
}
bool IsFloat(TypeId id) { return id == TypeId::kFloat32 || id == TypeId::kFloat64; }

DataType SignedOfWidth(int bytes) {
  switch (bytes) {
    case 1:
      return DataType::Int8();
    case 2:
      return DataType::Int16();
    case 4:
      return DataType::Int32();
    default:
      return DataType::Int64();
  }
}
DataType UnsignedOfWidth(int bytes) {
  switch (bytes) {
    case 1:
      return DataType::UInt8();
    case 2:
      return DataType::UInt16();
    case 4:
      return DataType::UInt32();
    default:
      return DataType::UInt64();
  }
}

// The type a pair of key columns is compared in, or nullopt when they cannot be compared.
std::optional<DataType> CommonKeyType(const DataType& a, const DataType& b) {
  if (a == b) return a;
  const TypeId x = a.id();
  const TypeId y = b.id();
  if (IsSigned(x) && IsSigned(y)) return SignedOfWidth(std::max(a.byte_width(), b.byte_width()));
  if (IsUnsigned(x) && IsUnsigned(y)) {
    return UnsignedOfWidth(std::max(a.byte_width(), b.byte_width()));
  }
  if ((IsSigned(x) && IsUnsigned(y)) || (IsUnsigned(x) && IsSigned(y))) {
    const DataType& u = IsUnsigned(x) ? a : b;
    const DataType& s = IsUnsigned(x) ? b : a;
    if (u.id() == TypeId::kUInt64) return std::nullopt;  // no signed type holds both
    return SignedOfWidth(std::max(s.byte_width(), 2 * u.byte_width()));
  }
  if (IsFloat(x) && IsFloat(y)) return DataType::Float64();
  return std::nullopt;
}

template <typename To>
Array CastValues(const Array& in, const DataType& to) {
  FixedWidthBuilder<To> out(to);
  out.Reserve(in.length());
  const bool widened = DispatchFixedWidth(in.type(), [&](auto from) {
    using From = decltype(from);
    if constexpr (std::is_arithmetic_v<From>) {
      for (int64_t r = 0; r < in.length(); ++r) {
        if (in.IsNull(r)) {
          out.AppendNull();
        } else {
          out.Append(static_cast<To>(in.Value<From>(r)));
        }
      }
    }
  });
  SLUICE_CHECK(widened);
  return out.Finish();
}

Array CastKey(const Array& in, const DataType& to) {
  switch (to.id()) {
    case TypeId::kInt16:
      return CastValues<int16_t>(in, to);
    case TypeId::kInt32:
      return CastValues<int32_t>(in, to);
    case TypeId::kInt64:
      return CastValues<int64_t>(in, to);
    case TypeId::kUInt16:
      return CastValues<uint16_t>(in, to);
    case TypeId::kUInt32:
      return CastValues<uint32_t>(in, to);
    case TypeId::kUInt64:
      return CastValues<uint64_t>(in, to);
    case TypeId::kFloat64:
      return CastValues<double>(in, to);
    default:
      throw InternalError("no key cast to {}", to.ToString());
  }
}

const char* SideName(JoinSide side) { return side == JoinSide::kLeft ? "left" : "right"; }

}  // namespace

JoinKind ParseJoinKind(std::string_view text) {
  if (text == "inner") return JoinKind::kInner;
  if (text == "left") return JoinKind::kLeft;
  if (text == "right") return JoinKind::kRight;
  if (text == "full" || text == "outer" || text == "full_outer") return JoinKind::kFull;
  if (text == "semi") return JoinKind::kSemi;
  if (text == "anti") return JoinKind::kAnti;
  throw InvalidArgument("unknown join kind '{}': use inner, left, right, full, semi or anti", text);
}

std::string_view JoinKindName(JoinKind kind) {
  switch (kind) {
    case JoinKind::kInner:
      return "inner";
    case JoinKind::kLeft:
      return "left";
    case JoinKind::kRight:
      return "right";
    case JoinKind::kFull:
      return "full";
    case JoinKind::kSemi:
      return "semi";
    case JoinKind::kAnti:
      return "anti";
  }
  return "?";
}

JoinPlan::JoinPlan(const Schema& left, const Schema& right, const JoinSpec& spec)
    : kind_(spec.kind) {
  const std::vector<std::string>& left_keys = spec.left_keys;
  const std::vector<std::string>& right_keys =
      spec.right_keys.empty() ? spec.left_keys : spec.right_keys;
  if (left_keys.empty()) throw InvalidArgument("a join needs at least one key column");
  if (left_keys.size() != right_keys.size()) {
    throw InvalidArgument("the join has {} left key columns but {} right ones", left_keys.size(),
                          right_keys.size());
  }
  const Schema* schemas[2] = {&left, &right};
  const std::vector<std::string>* names[2] = {&left_keys, &right_keys};
  for (JoinSide side : {JoinSide::kLeft, JoinSide::kRight}) {
    for (const std::string& name : *names[Index(side)]) {
      std::optional<int> index = schemas[Index(side)]->FieldIndex(name);
      if (!index) {
        throw NotFound("join key column '{}' is not in the {} input", name, SideName(side))
            .With("column", name);
      }
      CheckFlatKey(schemas[Index(side)]->field(*index), "the join key");
      keys_[Index(side)].push_back(*index);
    }
    original_schemas_[Index(side)] = std::make_shared<const Schema>(*schemas[Index(side)]);
  }
  std::vector<Field> fields[2] = {left.fields(), right.fields()};
  for (size_t k = 0; k < left_keys.size(); ++k) {
    const Field& l = left.field(keys_[0][k]);
    const Field& r = right.field(keys_[1][k]);
    std::optional<DataType> common = CommonKeyType(l.type, r.type);
    if (!common) {
      throw InvalidArgument(
          "join key types are incompatible: left column '{}' is {}, right column '{}' is {}",
          l.name, l.type.ToString(), r.name, r.type.ToString())
          .With("column", l.name);
    }
    for (int s = 0; s < 2; ++s) {
      Field& f = fields[s][static_cast<size_t>(keys_[s][k])];
      if (f.type != *common) {
        f.type = *common;
        needs_cast_[s] = true;
      }
    }
  }
  for (int s = 0; s < 2; ++s) {
    input_schemas_[s] = std::make_shared<const Schema>(fields[s]);
  }

  // Output: left columns (keys coalesced where the left may be missing), then right non-keys.
  std::vector<Field> out;
  const bool left_nullable = kind_ == JoinKind::kRight || kind_ == JoinKind::kFull;
  const bool right_nullable = kind_ != JoinKind::kInner && kind_ != JoinKind::kRight;
  std::set<std::string> names_taken;
  for (int c = 0; c < static_cast<int>(fields[0].size()); ++c) {
    Field f = fields[0][static_cast<size_t>(c)];
    OutputColumn source{JoinSide::kLeft, c, -1};
    auto key = std::find(keys_[0].begin(), keys_[0].end(), c);
    if (key != keys_[0].end() && !semi_or_anti()) {
      const int k = static_cast<int>(key - keys_[0].begin());
      if (left_nullable) {
        source.key = k;
        const Field& rf = fields[1][static_cast<size_t>(keys_[1][static_cast<size_t>(k)])];
        f.nullable = kind_ == JoinKind::kRight ? rf.nullable : (f.nullable || rf.nullable);
      }
    } else if (left_nullable) {
      f.nullable = true;
    }
    names_taken.insert(f.name);
    out.push_back(std::move(f));
    output_columns_.push_back(source);
  }
  if (!semi_or_anti()) {
    for (int c = 0; c < static_cast<int>(fields[1].size()); ++c) {
      if (std::find(keys_[1].begin(), keys_[1].end(), c) != keys_[1].end()) continue;
      Field f = fields[1][static_cast<size_t>(c)];
      while (names_taken.contains(f.name)) f.name += spec.suffix;
      if (right_nullable) f.nullable = true;
      names_taken.insert(f.name);
      out.push_back(std::move(f));
      output_columns_.push_back({JoinSide::kRight, c, -1});
    }
  }
  output_schema_ = std::make_shared<const Schema>(std::move(out));
}

bool JoinPlan::Preserves(JoinSide side) const {
  switch (kind_) {
    case JoinKind::kLeft:
      return side == JoinSide::kLeft;
    case JoinKind::kRight:
      return side == JoinSide::kRight;
    case JoinKind::kFull:
      return true;
    default:
      return false;
  }
}

RecordBatch JoinPlan::Normalize(JoinSide side, const RecordBatch& batch) const {
  const int s = Index(side);
  if (!needs_cast_[s]) return batch;
  std::vector<Array> columns = batch.columns();
  for (int c : keys_[s]) {
    const DataType& to = input_schemas_[s]->field(c).type;
    if (columns[static_cast<size_t>(c)].type() != to) {
      columns[static_cast<size_t>(c)] = CastKey(columns[static_cast<size_t>(c)], to);
    }
  }
  return RecordBatch::Make(input_schemas_[s], std::move(columns), batch.num_rows());
}

RecordBatch JoinPlan::Conform(JoinSide side, const RecordBatch& batch) const {
  const std::shared_ptr<const Schema>& schema = input_schemas_[Index(side)];
  if (batch.schema() == *schema) return batch;
  return RecordBatch::Make(schema, batch.columns(), batch.num_rows());
}

}  // namespace sluice
