// Predicate::Evaluate and Filter: one pass per leaf over a column, writing a byte per row, then
// AND/OR of the children's bytes and the validity bitmap (nulls never pass a leaf).
#include <algorithm>
#include <functional>
#include <memory>

#include "sluice/ops/predicate.h"
#include "sluice/ops/predicate_internal.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/take.h"

namespace sluice {

using predicate_internal::Domain;
using predicate_internal::FloatEqual;
using predicate_internal::FloatLess;
using predicate_internal::Node;
using predicate_internal::NodeKind;

namespace {

// Calls f with a comparison functor for `op` in the domain D (floats in DuckDB's NaN order).
template <typename D, typename F>
void WithComparison(CompareOp op, F&& f) {
  if constexpr (std::is_same_v<D, double>) {
    switch (op) {
      case CompareOp::kEq:
        return f([](double a, double b) { return FloatEqual(a, b); });
      case CompareOp::kNe:
        return f([](double a, double b) { return !FloatEqual(a, b); });
      case CompareOp::kLt:
        return f([](double a, double b) { return FloatLess(a, b); });
      case CompareOp::kLe:
        return f([](double a, double b) { return !FloatLess(b, a); });
      case CompareOp::kGt:
        return f([](double a, double b) { return FloatLess(b, a); });
      case CompareOp::kGe:
        return f([](double a, double b) { return !FloatLess(a, b); });
    }
  } else {
    switch (op) {
      case CompareOp::kEq:
        return f(std::equal_to<>());
      case CompareOp::kNe:
        return f(std::not_equal_to<>());
      case CompareOp::kLt:
        return f(std::less<>());
      case CompareOp::kLe:
        return f(std::less_equal<>());
      case CompareOp::kGt:
        return f(std::greater<>());
      case CompareOp::kGe:
        return f(std::greater_equal<>());
    }
  }
}

// Calls f(value_at) with a reader of the column's fixed-width values in their C type.
template <typename F>
void DispatchValues(const Array& column, F&& f) {
  auto typed = [&](auto zero) {
    using T = decltype(zero);
    const T* values = reinterpret_cast<const T*>(column.raw_values()) + column.offset();
    f([values](int64_t i) { return values[i]; });
  };
  switch (column.type().id()) {
    case TypeId::kInt8:
      return typed(int8_t{});
    case TypeId::kInt16:
      return typed(int16_t{});
    case TypeId::kInt32:
    case TypeId::kDate32:
      return typed(int32_t{});
    case TypeId::kUInt8:
      return typed(uint8_t{});
    case TypeId::kUInt16:
      return typed(uint16_t{});
    case TypeId::kUInt32:
      return typed(uint32_t{});
    case TypeId::kUInt64:
      return typed(uint64_t{});
    case TypeId::kFloat32:
      return typed(float{});
    case TypeId::kFloat64:
      return typed(double{});
    default:  // int64, timestamp
      return typed(int64_t{});
  }
}

// Calls f(value_at) where value_at(i) reads row i of `column` in the domain D.
template <typename D, typename F>
void WithValues(const Array& column, F&& f) {
  if constexpr (std::is_arithmetic_v<D> || std::is_same_v<D, __int128>) {
    if (column.type().id() == TypeId::kBool) {
      const uint8_t* bits = column.raw_values();
      const int64_t offset = column.offset();
      return f([bits, offset](int64_t i) { return static_cast<D>(GetBit(bits, offset + i)); });
    }
  }
  if constexpr (std::is_same_v<D, __int128>) {
    const Decimal128* values = reinterpret_cast<const Decimal128*>(column.raw_values());
    const int64_t offset = column.offset();
    return f([values, offset](int64_t i) { return values[offset + i].ToInt128(); });
  } else if constexpr (std::is_same_v<D, std::string_view>) {
    return f([&column](int64_t i) { return column.BinaryValue(i); });
  } else {
    DispatchValues(column, f);
  }
}

// The node's literals as domain values.
template <typename D>
const auto& Literals(const Node& node) {
  if constexpr (std::is_same_v<D, int64_t>) return node.ints;
  if constexpr (std::is_same_v<D, uint64_t>) return node.uints;
  if constexpr (std::is_same_v<D, double>) return node.floats;
  if constexpr (std::is_same_v<D, __int128>) return node.decimals;
  if constexpr (std::is_same_v<D, std::string_view>) return node.strings;
}

template <typename D>
void CompareLeaf(const Node& node, const Array& column, int64_t n, uint8_t* out) {
  const D literal = D(Literals<D>(node)[0]);
  WithComparison<D>(node.op, [&](auto compare) {
    // By value: a byte store may alias anything, so a captured reference was reloaded per row.
    WithValues<D>(column, [compare, literal, n, out](auto value_at) {
      for (int64_t i = 0; i < n; ++i) out[i] = compare(static_cast<D>(value_at(i)), literal);
    });
  });
}

template <typename D>
void InLeaf(const Node& node, const Array& column, int64_t n, uint8_t* out) {
  const auto& list = Literals<D>(node);
  const uint8_t hit = node.negated ? 0 : 1;
  WithValues<D>(column, [&](auto value_at) {
    for (int64_t i = 0; i < n; ++i) {
      const D v = static_cast<D>(value_at(i));
      bool found = false;
      if constexpr (std::is_same_v<D, double>) {
        for (double l : list) found = found || FloatEqual(v, l);
      } else {
        found = std::binary_search(list.begin(), list.end(), v);
      }
      out[i] = found ? hit : static_cast<uint8_t>(1 - hit);
    }
  });
}

template <typename F>
void WithDomain(Domain domain, F&& f) {
  switch (domain) {
    case Domain::kSigned:
      return f(int64_t{});
    case Domain::kUnsigned:
      return f(uint64_t{});
    case Domain::kFloat:
      return f(double{});
    case Domain::kBytes:
      return f(std::string_view{});
    case Domain::kDecimal:
      return f(__int128{});
  }
}

// Clears the rows whose value is null.
void AndValid(const Array& column, int64_t n, uint8_t* out) {
  if (column.null_count() == 0 || column.validity() == nullptr) return;
  const uint8_t* bits = column.validity();
  const int64_t offset = column.offset();
  for (int64_t i = 0; i < n; ++i) out[i] &= GetBit(bits, offset + i);
}

void EvaluateNode(const Node& node, const RecordBatch& batch, uint8_t* out);

void EvaluateChildren(const Node& node, const RecordBatch& batch, uint8_t* out) {
  const int64_t n = batch.num_rows();
  EvaluateNode(node.children[0], batch, out);
  std::vector<uint8_t> other(static_cast<size_t>(n));
  for (size_t c = 1; c < node.children.size(); ++c) {
    EvaluateNode(node.children[c], batch, other.data());
    if (node.kind == NodeKind::kAnd) {
      for (int64_t i = 0; i < n; ++i) out[i] &= other[static_cast<size_t>(i)];
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] |= other[static_cast<size_t>(i)];
    }
  }
}

void EvaluateNode(const Node& node, const RecordBatch& batch, uint8_t* out) {
  const int64_t n = batch.num_rows();
  switch (node.kind) {
    case NodeKind::kTrue:
    case NodeKind::kFalse:
      std::fill(out, out + n, node.kind == NodeKind::kTrue ? 1 : 0);
      return;
    case NodeKind::kAnd:
    case NodeKind::kOr:
      return EvaluateChildren(node, batch, out);
    default:
      break;
  }
  const Array& column = batch.column(node.column);
  switch (node.kind) {
    case NodeKind::kIsNull:
    case NodeKind::kIsNotNull:
      std::fill(out, out + n, 1);
      AndValid(column, n, out);
      if (node.kind == NodeKind::kIsNull) {
        for (int64_t i = 0; i < n; ++i) out[i] ^= 1;
      }
      return;
    case NodeKind::kCompare:
      WithDomain(node.domain, [&](auto d) { CompareLeaf<decltype(d)>(node, column, n, out); });
      break;
    case NodeKind::kIn:
      WithDomain(node.domain, [&](auto d) { InLeaf<decltype(d)>(node, column, n, out); });
      break;
    default:  // kLike
      for (int64_t i = 0; i < n; ++i)
        out[i] = node.like.Matches(column.BinaryValue(i)) != node.negated;
      break;
  }
  AndValid(column, n, out);
}

}  // namespace

void Predicate::Evaluate(const RecordBatch& batch, std::vector<uint8_t>& selected) const {
  selected.resize(static_cast<size_t>(batch.num_rows()));
  if (batch.num_rows() > 0) EvaluateNode(*root_, batch, selected.data());
}

RecordBatch Predicate::Filter(const RecordBatch& batch) const {
  std::vector<uint8_t> selected;
  Evaluate(batch, selected);
  // Branch-free compaction: a filter keeping a fraction of rows mispredicts a branch per row.
  // (Left uninitialised: every slot up to `kept` is written before it is read.)
  const auto rows = std::make_unique_for_overwrite<int64_t[]>(selected.size());
  size_t kept = 0;
  for (size_t i = 0; i < selected.size(); ++i) {
    rows[kept] = static_cast<int64_t>(i);
    kept += selected[i];
  }
  if (static_cast<int64_t>(kept) == batch.num_rows()) return batch;
  return Take(batch, std::span<const int64_t>(rows.get(), kept));
}

}  // namespace sluice
