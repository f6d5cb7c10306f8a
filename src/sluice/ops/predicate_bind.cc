// Predicate::Bind: names to columns, NOT pushed to the leaves, literals into column domains.
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "sluice/base/error.h"
#include "sluice/io/csv/value_parser.h"
#include "sluice/ops/predicate.h"
#include "sluice/ops/predicate_internal.h"

namespace sluice {

using predicate_internal::Domain;
using predicate_internal::Node;
using predicate_internal::NodeKind;

namespace predicate_internal {

Domain DomainOf(const DataType& type) {
  switch (type.id()) {
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
      return Domain::kUnsigned;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return Domain::kFloat;
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixedSizeBinary:
      return Domain::kBytes;
    case TypeId::kDecimal128:
      return Domain::kDecimal;
    default:
      return Domain::kSigned;
  }
}

}  // namespace predicate_internal

namespace {

// Where a literal lands among the column's values: exactly on the stored value, strictly between
// it (its floor) and the next value, or outside the domain's range.
enum class Fit { kExact, kBetween, kBelow, kAbove };

CompareOp Inverse(CompareOp op) {
  static constexpr CompareOp kInverse[] = {CompareOp::kNe, CompareOp::kEq, CompareOp::kGe,
                                           CompareOp::kGt, CompareOp::kLe, CompareOp::kLt};
  return kInverse[static_cast<int>(op)];
}

class Binder {
 public:
  Binder(const Schema& schema, std::vector<int>& columns) : schema_(schema), columns_(columns) {}

  Node Bind(const PredicateExpr& e, bool negate) {
    switch (e.kind) {
      case PredicateExpr::Kind::kAnd:
      case PredicateExpr::Kind::kOr: {
        Node node;
        // De Morgan: NOT (a AND b) = NOT a OR NOT b, exact in SQL's three-valued logic.
        node.kind =
            (e.kind == PredicateExpr::Kind::kAnd) != negate ? NodeKind::kAnd : NodeKind::kOr;
        for (const PredicateExpr& c : e.children) node.children.push_back(Bind(c, negate));
        return node;
      }
      case PredicateExpr::Kind::kNot:
        return Bind(e.children[0], !negate);
      case PredicateExpr::Kind::kIsNull: {
        Node node = Leaf(e);
        node.kind = e.negated != negate ? NodeKind::kIsNotNull : NodeKind::kIsNull;
        return node;
      }
      case PredicateExpr::Kind::kColumn:
        return BindBareColumn(e, negate);
      case PredicateExpr::Kind::kCompare:
        return BindCompare(e, negate ? Inverse(e.op) : e.op);
      case PredicateExpr::Kind::kIn:
        return BindIn(e, e.negated != negate);
      case PredicateExpr::Kind::kLike:
        return BindLike(e, e.negated != negate);
    }
    throw InternalError("unknown predicate kind");
  }

 private:
  Node Leaf(const PredicateExpr& e) {
    const std::optional<int> index = schema_.FieldIndex(e.column);
    if (!index) {
      std::string names;
      for (const Field& f : schema_.fields()) names += (names.empty() ? "" : ", ") + f.name;
      throw InvalidArgument("unknown column '{}' at position {}", e.column, e.position)
          .With("columns", names);
    }
    Node node;
    node.column = *index;
    node.type = schema_.field(*index).type;
    node.domain = predicate_internal::DomainOf(node.type);
    columns_.push_back(*index);
    return node;
  }

  [[noreturn]] void Mismatch(const Node& node, const PredicateExpr& e,
                             const PredicateLiteral& literal, std::string_view wanted) const {
    throw InvalidArgument("column '{}' ({}) cannot be compared with {} at position {}; {}",
                          e.column, node.type.ToString(), Describe(literal), literal.position,
                          wanted);
  }

  static std::string Describe(const PredicateLiteral& literal) {
    return literal.kind == PredicateLiteral::Kind::kString ? "'" + literal.text + "'"
                                                           : literal.text;
  }

  Node BindBareColumn(const PredicateExpr& e, bool negate) {
    Node node = Leaf(e);
    if (node.type.id() != TypeId::kBool) {
      throw InvalidArgument(
          "column '{}' ({}) at position {} is not a boolean; compare it, e.g. {} > 0", e.column,
          node.type.ToString(), e.position, e.column);
    }
    node.kind = NodeKind::kCompare;
    node.op = CompareOp::kEq;
    node.ints.push_back(negate ? 0 : 1);
    return node;
  }

  Node BindCompare(const PredicateExpr& e, CompareOp op) {
    Node node = Leaf(e);
    node.kind = NodeKind::kCompare;
    node.op = op;
    const Fit fit = AddLiteral(node, e, e.literals[0]);
    if (fit == Fit::kExact) return node;
    // Rewrites for literals no stored value equals: `i < 2.5` is `i <= 2`, `i > 2.5` is `i > 2`,
    // `i = 2.5` is never true, `i != 2.5` is true for every non-null i; likewise out of range.
    const bool below_wins = op == CompareOp::kGt || op == CompareOp::kGe;
    switch (fit) {
      case Fit::kBetween:
        if (op == CompareOp::kEq) return Constant(NodeKind::kFalse, node);
        if (op == CompareOp::kNe) return Constant(NodeKind::kIsNotNull, node);
        node.op = below_wins ? CompareOp::kGt : CompareOp::kLe;
        return node;
      case Fit::kBelow:
        return Constant(
            below_wins || op == CompareOp::kNe ? NodeKind::kIsNotNull : NodeKind::kFalse, node);
      default:  // kAbove
        return Constant(
            below_wins || op == CompareOp::kEq ? NodeKind::kFalse : NodeKind::kIsNotNull, node);
    }
  }

  static Node Constant(NodeKind kind, const Node& leaf) {
    Node node;
    node.kind = kind;
    node.column = leaf.column;
    node.type = leaf.type;
    node.domain = leaf.domain;
    return node;
  }

  Node BindIn(const PredicateExpr& e, bool negated) {
    Node node = Leaf(e);
    node.kind = NodeKind::kIn;
    node.negated = negated;
    for (const PredicateLiteral& literal : e.literals) {
      // Values no stored value can equal never match; drop them.
      if (AddLiteral(node, e, literal) != Fit::kExact) PopLiteral(node);
    }
    if (node.ints.empty() && node.uints.empty() && node.floats.empty() && node.strings.empty() &&
        node.decimals.empty()) {
      return Constant(negated ? NodeKind::kIsNotNull : NodeKind::kFalse, node);
    }
    SortUnique(node.ints);
    SortUnique(node.uints);
    SortUnique(node.strings);
    SortUnique(node.decimals);
    return node;
  }

  template <typename T>
  static void SortUnique(std::vector<T>& values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }

  static void PopLiteral(Node& node) {
    switch (node.domain) {
      case Domain::kSigned:
        return node.ints.pop_back();
      case Domain::kUnsigned:
        return node.uints.pop_back();
      case Domain::kFloat:
        return node.floats.pop_back();
      case Domain::kBytes:
        return node.strings.pop_back();
      case Domain::kDecimal:
        return node.decimals.pop_back();
    }
  }

  Node BindLike(const PredicateExpr& e, bool negated) {
    Node node = Leaf(e);
    if (node.domain != Domain::kBytes) {
      throw InvalidArgument("LIKE needs a string column; '{}' is {} (position {})", e.column,
                            node.type.ToString(), e.position);
    }
    node.kind = NodeKind::kLike;
    node.negated = negated;
    node.like = LikePattern(e.literals[0].text);
    return node;
  }

  // Appends the literal in the node's domain (always, even when it does not fit exactly).
  Fit AddLiteral(Node& node, const PredicateExpr& e, const PredicateLiteral& literal) {
    using Kind = PredicateLiteral::Kind;
    const bool numeric = literal.kind == Kind::kInt || literal.kind == Kind::kFloat;
    switch (node.type.id()) {
      case TypeId::kBool:
        if (literal.kind != Kind::kBool) Mismatch(node, e, literal, "use true or false");
        node.ints.push_back(literal.text == "true" ? 1 : 0);
        return Fit::kExact;
      case TypeId::kDate32:
        if (literal.kind != Kind::kString) Mismatch(node, e, literal, "write 'YYYY-MM-DD'");
        return AddDate(node, e, literal);
      case TypeId::kTimestamp:
        if (literal.kind != Kind::kString) {
          Mismatch(node, e, literal, "write 'YYYY-MM-DD HH:MM:SS[.ffffff]'");
        }
        return AddTimestamp(node, e, literal);
      default:
        break;
    }
    switch (node.domain) {
      case Domain::kBytes:
        if (literal.kind != Kind::kString) Mismatch(node, e, literal, "quote it: 'text'");
        node.strings.push_back(literal.text);
        return Fit::kExact;
      case Domain::kFloat:
        return AddFloat(node, e, literal);
      case Domain::kSigned:
      case Domain::kUnsigned:
        if (!numeric) Mismatch(node, e, literal, "write a number");
        return node.domain == Domain::kSigned ? AddSigned(node, literal)
                                              : AddUnsigned(node, literal);
      case Domain::kDecimal:
        if (!numeric) Mismatch(node, e, literal, "write a number");
        return AddDecimal(node, literal);
    }
    return Fit::kExact;
  }

  Fit AddFloat(Node& node, const PredicateExpr& e, const PredicateLiteral& literal) {
    double value = 0;
    // Strings allow 'nan', 'inf' and '-inf'.
    if (literal.kind == PredicateLiteral::Kind::kBool || !csv::ParseFloat64(literal.text, value)) {
      Mismatch(node, e, literal, "write a number");
    }
    // The literal takes the column's type (DuckDB casts constants so): `f = 0.1` on a float32
    // column matches the stored 0.1f.
    if (node.type.id() == TypeId::kFloat32) value = static_cast<double>(static_cast<float>(value));
    node.floats.push_back(value);
    return Fit::kExact;
  }

  // An integer literal exactly, or a float one by its floor.
  static Fit FloorOf(const PredicateLiteral& literal, double lowest, double highest,
                     double& floor) {
    const double value = std::strtod(literal.text.c_str(), nullptr);
    if (!(value >= lowest)) return Fit::kBelow;
    if (!(value < highest)) return Fit::kAbove;
    floor = std::floor(value);
    return floor == value ? Fit::kExact : Fit::kBetween;
  }

  static Fit AddSigned(Node& node, const PredicateLiteral& literal) {
    int64_t value = 0;
    if (literal.kind == PredicateLiteral::Kind::kInt && csv::ParseInt64(literal.text, value)) {
      node.ints.push_back(value);
      return Fit::kExact;
    }
    double floor = 0;
    const Fit fit = FloorOf(literal, -0x1p63, 0x1p63, floor);
    node.ints.push_back(static_cast<int64_t>(floor));
    return fit;
  }

  static Fit AddUnsigned(Node& node, const PredicateLiteral& literal) {
    uint64_t value = 0;
    if (literal.kind == PredicateLiteral::Kind::kInt && csv::ParseUInt64(literal.text, value)) {
      node.uints.push_back(value);
      return Fit::kExact;
    }
    double floor = 0;
    const Fit fit = FloorOf(literal, 0, 0x1p64, floor);
    node.uints.push_back(static_cast<uint64_t>(floor));
    return fit;
  }

  // The literal's digits scaled to the column's scale, exactly, with the digits past the scale
  // deciding between kExact and kBetween (the floor is kept).
  static Fit AddDecimal(Node& node, const PredicateLiteral& literal) {
    const std::string& t = literal.text;
    if (t.find_first_of("eE") != std::string::npos) {
      double floor = 0;  // an exponent: rare enough to go through a double
      const double scaled = std::strtod(t.c_str(), nullptr) * std::pow(10.0, node.type.scale());
      PredicateLiteral as_text{PredicateLiteral::Kind::kFloat, fmt::format("{:.17g}", scaled), 0};
      const Fit fit = FloorOf(as_text, -1e38, 1e38, floor);
      node.decimals.push_back(static_cast<__int128>(floor));
      return fit;
    }
    const bool negative = !t.empty() && t[0] == '-';
    __int128 value = 0;
    int fraction_digits = -1;  // -1 before the point
    bool dropped = false;      // nonzero digits past the scale
    for (char c : t) {
      if (c == '.') {
        fraction_digits = 0;
        continue;
      }
      if (c < '0' || c > '9') continue;
      if (fraction_digits >= node.type.scale()) {
        dropped = dropped || c != '0';
        continue;
      }
      if (value > static_cast<__int128>(1e37)) return negative ? Fit::kBelow : Fit::kAbove;
      value = value * 10 + (c - '0');
      if (fraction_digits >= 0) ++fraction_digits;
    }
    for (int d = std::max(fraction_digits, 0); d < node.type.scale(); ++d) value *= 10;
    if (negative) value = -value - (dropped ? 1 : 0);  // the floor of a negative
    node.decimals.push_back(value);
    return dropped ? Fit::kBetween : Fit::kExact;
  }

  static Fit FloorDivide(int64_t value, int64_t divisor, int64_t& out) {
    out = value / divisor - (value % divisor < 0 ? 1 : 0);
    return value % divisor == 0 ? Fit::kExact : Fit::kBetween;
  }

  Fit AddDate(Node& node, const PredicateExpr& e, const PredicateLiteral& literal) {
    int32_t days = 0;
    if (csv::ParseDate32(literal.text, days)) {
      node.ints.push_back(days);
      return Fit::kExact;
    }
    int64_t micros = 0;
    if (!csv::ParseTimestampMicros(literal.text, micros)) {
      Mismatch(node, e, literal, "write 'YYYY-MM-DD'");
    }
    int64_t floor = 0;
    const Fit fit = FloorDivide(micros, int64_t{86400} * 1000000, floor);
    node.ints.push_back(floor);
    return fit;
  }

  Fit AddTimestamp(Node& node, const PredicateExpr& e, const PredicateLiteral& literal) {
    int64_t micros = 0;
    int32_t days = 0;
    if (csv::ParseDate32(literal.text, days)) {
      micros = int64_t{days} * 86400 * 1000000;
    } else if (!csv::ParseTimestampMicros(literal.text, micros)) {
      Mismatch(node, e, literal, "write 'YYYY-MM-DD HH:MM:SS[.ffffff]'");
    }
    int64_t value = 0;
    Fit fit = Fit::kExact;
    switch (node.type.unit()) {
      case TimeUnit::kSecond:
        fit = FloorDivide(micros, 1000000, value);
        break;
      case TimeUnit::kMilli:
        fit = FloorDivide(micros, 1000, value);
        break;
      case TimeUnit::kMicro:
        value = micros;
        break;
      case TimeUnit::kNano:
        if (__builtin_mul_overflow(micros, int64_t{1000}, &value)) {
          fit = micros < 0 ? Fit::kBelow : Fit::kAbove;
        }
        break;
    }
    node.ints.push_back(value);
    return fit;
  }

  const Schema& schema_;
  std::vector<int>& columns_;
};

}  // namespace

Predicate::~Predicate() = default;

std::shared_ptr<const Predicate> Predicate::Bind(const PredicateExpr& expr, const Schema& schema) {
  std::shared_ptr<Predicate> predicate(new Predicate());
  Binder binder(schema, predicate->columns_);
  predicate->root_ = std::make_unique<Node>(binder.Bind(expr, false));
  std::vector<int>& columns = predicate->columns_;
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return predicate;
}

}  // namespace sluice
