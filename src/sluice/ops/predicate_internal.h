// The bound form of a Predicate (predicate.h), shared by its binder, evaluator and statistics
// pruner: a tree in negation normal form (NOT only inside leaves, so every node's "passes" is
// SQL's "is true" and nulls need no third value), with each literal converted once into the
// column's comparison domain.
//
// Thread safety: plain values, immutable once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/ops/like_pattern.h"
#include "sluice/ops/predicate_expr.h"
#include "sluice/table/type.h"

namespace sluice::predicate_internal {

// How a column's values compare: signed integers, dates, timestamps and bools as int64_t;
// unsigned integers as uint64_t; floats as double (NaN above all, equal to itself); strings,
// binary and fixed-size binary bytewise; decimals as their unscaled __int128.
enum class Domain { kSigned, kUnsigned, kFloat, kBytes, kDecimal };

enum class NodeKind { kTrue, kFalse, kAnd, kOr, kCompare, kIn, kIsNull, kIsNotNull, kLike };

struct Node {
  NodeKind kind = NodeKind::kTrue;
  std::vector<Node> children;  // kAnd, kOr
  int column = -1;             // leaves
  DataType type = DataType::Bool();
  Domain domain = Domain::kSigned;
  CompareOp op = CompareOp::kEq;
  bool negated = false;  // kIn: NOT IN; kLike: NOT LIKE
  // The literal (kCompare) or the list (kIn), in the vector of the node's domain.
  std::vector<int64_t> ints;
  std::vector<uint64_t> uints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<__int128> decimals;
  LikePattern like;
};

Domain DomainOf(const DataType& type);

// Float comparisons in DuckDB's order: NaN equals NaN and is above every other value.
inline bool FloatLess(double a, double b) { return a < b || (b != b && a == a); }
inline bool FloatEqual(double a, double b) { return a == b || (a != a && b != b); }

}  // namespace sluice::predicate_internal
