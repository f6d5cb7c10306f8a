// Predicate::MayMatch: whether a chunk's statistics leave room for a passing row. Every "false"
// must be a proof, so anything unknown (no statistics, a domain without them, a NaN that the
// statistics may have left out) answers true.
#include <algorithm>

#include "sluice/ops/predicate.h"
#include "sluice/ops/predicate_internal.h"

namespace sluice {

using predicate_internal::Domain;
using predicate_internal::FloatEqual;
using predicate_internal::FloatLess;
using predicate_internal::Node;
using predicate_internal::NodeKind;

namespace {

using StatisticsOf = std::function<std::optional<ColumnStatistics>(int column)>;

// a < b in the node's domain.
template <typename D>
bool Less(const D& a, const D& b) {
  if constexpr (std::is_same_v<D, double>) {
    return FloatLess(a, b);
  } else {
    return a < b;
  }
}

// Whether some value v with min <= v <= max satisfies `v op literal`.
template <typename D>
bool RangeMayCompare(CompareOp op, const D& min, const D& max, const D& literal) {
  switch (op) {
    case CompareOp::kEq:
      return !Less(literal, min) && !Less(max, literal);
    case CompareOp::kNe:
      return Less(min, literal) || Less(literal, max) || Less(literal, min) || Less(max, literal);
    case CompareOp::kLt:
      return Less(min, literal);
    case CompareOp::kLe:
      return !Less(literal, min);
    case CompareOp::kGt:
      return Less(literal, max);
    case CompareOp::kGe:
      return !Less(max, literal);
  }
  return true;
}

// Whether a value no min/max describes could pass: float statistics leave NaN out, and NaN is
// above everything, equal to itself.
bool NanMayPass(const Node& node, const ColumnStatistics& stats) {
  if (node.domain != Domain::kFloat) return false;
  if (stats.nan_count && *stats.nan_count == 0) return false;
  if (node.kind == NodeKind::kIn) {
    return node.negated ||
           std::any_of(node.floats.begin(), node.floats.end(), [](double l) { return l != l; });
  }
  if (node.kind != NodeKind::kCompare) return false;  // IS NOT NULL: any value passes anyway
  const double literal = node.floats[0];
  return node.op == CompareOp::kGt || node.op == CompareOp::kGe || node.op == CompareOp::kNe ||
         (node.op == CompareOp::kEq && literal != literal);
}

// Values starting with a prefix p lie in [p, p followed by anything]: none when max < p or when
// min's first |p| bytes already sort after p.
bool LikeMayMatch(const LikePattern& like, std::string_view min, std::string_view max) {
  if (like.shape() == LikePattern::Shape::kGeneral) return true;
  const std::string_view p = like.text();
  if (like.shape() == LikePattern::Shape::kExact) {
    return RangeMayCompare(CompareOp::kEq, min, max, p);
  }
  return !(max < p) && !(min.substr(0, p.size()) > p);
}

// Equality and IN asked of the chunk's Bloom filter. Not for floats: -0.0 equals 0.0 and NaN
// equals NaN, but their hashes differ.
bool BloomMayMatch(const Node& node, const ColumnStatistics& stats) {
  if (!stats.might_contain || node.domain == Domain::kFloat || node.domain == Domain::kDecimal) {
    return true;
  }
  const bool in = node.kind == NodeKind::kIn && !node.negated;
  if (!in && !(node.kind == NodeKind::kCompare && node.op == CompareOp::kEq)) return true;
  auto any = [&](const auto& values) {
    return std::any_of(values.begin(), values.end(), [&](const auto& v) {
      return stats.might_contain(ColumnStatistics::Value(v));
    });
  };
  switch (node.domain) {
    case Domain::kSigned:
      return any(node.ints);
    case Domain::kUnsigned:
      return any(node.uints);
    default:
      return any(node.strings);
  }
}

// Whether the leaf can pass for some value in [lo, hi].
template <typename D>
bool RangeMayMatch(const Node& node, const D& lo, const D& hi) {
  if (node.kind == NodeKind::kCompare) {
    if constexpr (std::is_same_v<D, int64_t>) return RangeMayCompare(node.op, lo, hi, node.ints[0]);
    if constexpr (std::is_same_v<D, uint64_t>) {
      return RangeMayCompare(node.op, lo, hi, node.uints[0]);
    }
    if constexpr (std::is_same_v<D, double>)
      return RangeMayCompare(node.op, lo, hi, node.floats[0]);
    if constexpr (std::is_same_v<D, std::string_view>) {
      return RangeMayCompare(node.op, lo, hi, std::string_view(node.strings[0]));
    }
  }
  if (node.kind == NodeKind::kIn && !node.negated) {
    auto in_range = [&](const auto& l) { return RangeMayCompare(CompareOp::kEq, lo, hi, D(l)); };
    if constexpr (std::is_same_v<D, int64_t>)
      return std::any_of(node.ints.begin(), node.ints.end(), in_range);
    if constexpr (std::is_same_v<D, uint64_t>) {
      return std::any_of(node.uints.begin(), node.uints.end(), in_range);
    }
    if constexpr (std::is_same_v<D, double>) {
      return std::any_of(node.floats.begin(), node.floats.end(), in_range);
    }
    if constexpr (std::is_same_v<D, std::string_view>) {
      return std::any_of(node.strings.begin(), node.strings.end(), in_range);
    }
  }
  if constexpr (std::is_same_v<D, std::string_view>) {
    if (node.kind == NodeKind::kLike && !node.negated) return LikeMayMatch(node.like, lo, hi);
  }
  return true;
}

template <typename D>
bool LeafMayMatch(const Node& node, const ColumnStatistics& stats) {
  using Stored = std::conditional_t<std::is_same_v<D, std::string_view>, std::string, D>;
  const Stored* min = std::get_if<Stored>(&stats.min);
  const Stored* max = std::get_if<Stored>(&stats.max);
  if (min == nullptr || max == nullptr) return true;
  if constexpr (std::is_same_v<D, double>) {
    if (*min != *min || *max != *max) return true;
  }
  if (NanMayPass(node, stats)) return true;
  const D lo(*min), hi(*max);
  if (!RangeMayMatch<D>(node, lo, hi)) return false;
  return BloomMayMatch(node, stats);
}

bool NodeMayMatch(const Node& node, const StatisticsOf& statistics) {
  switch (node.kind) {
    case NodeKind::kTrue:
      return true;
    case NodeKind::kFalse:
      return false;
    case NodeKind::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& c) { return NodeMayMatch(c, statistics); });
    case NodeKind::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& c) { return NodeMayMatch(c, statistics); });
    default:
      break;
  }
  const std::optional<ColumnStatistics> stats = statistics(node.column);
  if (!stats) return true;
  const bool all_null = stats->null_count && *stats->null_count >= stats->rows;
  if (node.kind == NodeKind::kIsNull) return !stats->null_count || *stats->null_count > 0;
  if (all_null) return false;  // every other leaf needs a non-null value
  switch (node.domain) {
    case Domain::kSigned:
      return LeafMayMatch<int64_t>(node, *stats);
    case Domain::kUnsigned:
      return LeafMayMatch<uint64_t>(node, *stats);
    case Domain::kFloat:
      return LeafMayMatch<double>(node, *stats);
    case Domain::kBytes:
      return LeafMayMatch<std::string_view>(node, *stats);
    case Domain::kDecimal:
      return true;
  }
  return true;
}

using parquet::RowRanges;
using PagesOf = std::function<std::optional<ColumnPageStatistics>(int column)>;

// The rows of pages whose statistics let the leaf pass.
RowRanges LeafRows(const Node& leaf, const ColumnPageStatistics& index, int64_t rows) {
  RowRanges out;
  for (size_t p = 0; p < index.pages.size(); ++p) {
    const int64_t end = p + 1 < index.first_rows.size() ? index.first_rows[p + 1] : rows;
    const ColumnStatistics& page = index.pages[p];
    if (NodeMayMatch(leaf, [&](int) { return std::optional<ColumnStatistics>(page); })) {
      out = parquet::UniteRowRanges(std::move(out), {{index.first_rows[p], end}});
    }
  }
  return out;
}

RowRanges NodeRows(const Node& node, const PagesOf& pages, int64_t rows) {
  switch (node.kind) {
    case NodeKind::kTrue:
      return {{0, rows}};
    case NodeKind::kFalse:
      return {};
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      RowRanges out = NodeRows(node.children[0], pages, rows);
      for (size_t c = 1; c < node.children.size(); ++c) {
        const RowRanges child = NodeRows(node.children[c], pages, rows);
        out = node.kind == NodeKind::kAnd ? parquet::IntersectRowRanges(out, child)
                                          : parquet::UniteRowRanges(std::move(out), child);
      }
      return out;
    }
    default:
      break;
  }
  const std::optional<ColumnPageStatistics> index = pages(node.column);
  if (!index || index->pages.empty() || index->pages.size() != index->first_rows.size()) {
    return {{0, rows}};
  }
  return LeafRows(node, *index, rows);
}

}  // namespace

bool Predicate::MayMatch(const StatisticsOf& statistics) const {
  return NodeMayMatch(*root_, statistics);
}

bool Predicate::MayMatchPages(const PagesOf& pages, int64_t rows) const {
  return !NodeRows(*root_, pages, rows).empty();
}

RowRanges Predicate::RowsMayMatch(const PagesOf& pages, int64_t rows) const {
  return NodeRows(*root_, pages, rows);
}

}  // namespace sluice
