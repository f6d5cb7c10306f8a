#include "sluice/jobs/compact/schema_union.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/format_enums.h"

namespace sluice::compact {
namespace {

using parquet::ColumnDescriptor;
using parquet::Repetition;
using parquet::SchemaElement;

std::string TypeText(const ColumnDescriptor& c) {
  std::string text = parquet::PhysicalTypeName(c.physical_type);
  if (c.type_length > 0) text += fmt::format("({})", c.type_length);
  if (c.element.logical_type) {
    text += " " + parquet::LogicalTypeName(*c.element.logical_type);
  } else if (c.element.converted_type) {
    text += " " + parquet::ConvertedTypeName(*c.element.converted_type);
  }
  text += c.repetition == Repetition::kRequired ? " required" : " optional";
  return text;
}

bool SameType(const ColumnDescriptor& a, const ColumnDescriptor& b) {
  return a.physical_type == b.physical_type && a.type_length == b.type_length &&
         a.repetition == b.repetition && a.element.logical_type == b.element.logical_type &&
         a.element.converted_type == b.element.converted_type &&
         a.element.scale == b.element.scale && a.element.precision == b.element.precision;
}

Error Mismatch(const std::string& why, const std::string& file, const std::string& other) {
  return InvalidData("the files of one partition have different schemas: {}", why)
      .With("file", file)
      .With("other_file", other);
}

// The parent of each element of a schema list (the root's is -1); the list is valid
// (ParquetSchema::Build checked it).
std::vector<int> Parents(const std::vector<SchemaElement>& elements) {
  std::vector<int> parents(elements.size(), -1);
  std::vector<std::pair<int, int32_t>> open{{0, elements[0].num_children.value_or(0)}};
  for (size_t i = 1; i < elements.size() && !open.empty(); ++i) {
    while (!open.empty() && open.back().second == 0) open.pop_back();
    if (open.empty()) break;
    --open.back().second;
    parents[i] = open.back().first;
    const SchemaElement& e = elements[i];
    if (e.num_children.value_or(0) > 0) open.emplace_back(i, *e.num_children);
  }
  return parents;
}

// The groups above a leaf, top-level first, as text: their repetitions and annotations decide
// what the leaf's levels mean, so two files agree on a nested leaf only when these agree.
std::string GroupsText(const std::vector<SchemaElement>& elements, const std::vector<int>& parents,
                       const ColumnDescriptor& c) {
  std::vector<std::string> groups;
  for (int g = parents[static_cast<size_t>(c.schema_index)]; g > 0;
       g = parents[static_cast<size_t>(g)]) {
    const SchemaElement& e = elements[static_cast<size_t>(g)];
    std::string text = parquet::RepetitionName(e.repetition_type.value_or(Repetition::kRequired));
    if (e.logical_type) text += " " + parquet::LogicalTypeName(*e.logical_type);
    if (e.converted_type) text += " " + parquet::ConvertedTypeName(*e.converted_type);
    groups.push_back(text + " " + e.name);
  }
  std::reverse(groups.begin(), groups.end());
  return fmt::format("{}", fmt::join(groups, " / "));
}

// Checks that `have`'s leaf `other` is `want`'s leaf `c` (type and enclosing groups).
void CheckSameLeaf(const InputFile& want, const ColumnDescriptor& c, const InputFile& have,
                   const ColumnDescriptor& other) {
  if (!SameType(c, other)) {
    throw Mismatch(
        fmt::format("column {} is {} against {}", c.DottedPath(), TypeText(c), TypeText(other)),
        want.path, have.path);
  }
  if (!c.nested) return;
  std::string a =
      GroupsText(want.footer->metadata.schema, Parents(want.footer->metadata.schema), c);
  std::string b =
      GroupsText(have.footer->metadata.schema, Parents(have.footer->metadata.schema), other);
  if (a != b) {
    throw Mismatch(fmt::format("column {} lies in {} against {}", c.DottedPath(), a, b), want.path,
                   have.path);
  }
}

// Strict: maps the first file's columns onto `file`'s leaves, or explains why it cannot.
std::vector<int> MapColumnsStrictly(const InputFile& first, const InputFile& file) {
  const parquet::ParquetSchema& want = first.footer->schema;
  const parquet::ParquetSchema& have = file.footer->schema;
  if (want.num_columns() != have.num_columns()) {
    throw Mismatch(fmt::format("{} columns against {}", want.num_columns(), have.num_columns()),
                   first.path, file.path);
  }
  std::vector<int> map;
  for (const ColumnDescriptor& c : want.columns()) {
    int index = have.FindColumn(c.DottedPath());
    if (index < 0) {
      throw Mismatch(fmt::format("column {} is missing", c.DottedPath()), first.path, file.path);
    }
    CheckSameLeaf(first, c, file, have.columns()[static_cast<size_t>(index)]);
    map.push_back(index);
  }
  return map;
}

// How a flat leaf's values may widen: integers by sign and bits, floats by bits, decimals by
// precision (scale fixed); any other type matches only itself.
struct LeafKind {
  enum class Family { kSigned, kUnsigned, kFloat, kDecimal, kOther } family = Family::kOther;
  int size = 0;  // bits, or a decimal's precision
  int scale = 0;
  bool operator==(const LeafKind&) const = default;
};

LeafKind KindOf(const ColumnDescriptor& c) {
  using Family = LeafKind::Family;
  using parquet::ConvertedType;
  using parquet::PhysicalType;
  const SchemaElement& e = c.element;
  const bool integer =
      c.physical_type == PhysicalType::kInt32 || c.physical_type == PhysicalType::kInt64;
  if (e.logical_type && e.logical_type->kind == parquet::LogicalType::Kind::kDecimal) {
    return {Family::kDecimal, e.logical_type->decimal_precision, e.logical_type->decimal_scale};
  }
  if (!e.logical_type && e.converted_type == ConvertedType::kDecimal) {
    return {Family::kDecimal, e.precision.value_or(0), e.scale.value_or(0)};
  }
  if (integer && e.logical_type && e.logical_type->kind == parquet::LogicalType::Kind::kInteger) {
    return {e.logical_type->is_signed ? Family::kSigned : Family::kUnsigned,
            e.logical_type->bit_width};
  }
  if (integer && !e.logical_type && e.converted_type) {
    switch (*e.converted_type) {
      case ConvertedType::kInt8:
        return {Family::kSigned, 8};
      case ConvertedType::kInt16:
        return {Family::kSigned, 16};
      case ConvertedType::kInt32:
        return {Family::kSigned, 32};
      case ConvertedType::kInt64:
        return {Family::kSigned, 64};
      case ConvertedType::kUint8:
        return {Family::kUnsigned, 8};
      case ConvertedType::kUint16:
        return {Family::kUnsigned, 16};
      case ConvertedType::kUint32:
        return {Family::kUnsigned, 32};
      case ConvertedType::kUint64:
        return {Family::kUnsigned, 64};
      default:
        return {};
    }
  }
  if (e.logical_type || e.converted_type) return {};
  switch (c.physical_type) {
    case PhysicalType::kInt32:
      return {Family::kSigned, 32};
    case PhysicalType::kInt64:
      return {Family::kSigned, 64};
    case PhysicalType::kFloat:
      return {Family::kFloat, 32};
    case PhysicalType::kDouble:
      return {Family::kFloat, 64};
    default:
      return {};
  }
}

// The kind both widen to, or none when they do not widen to one another.
std::optional<LeafKind> CommonKind(const LeafKind& a, const LeafKind& b) {
  using Family = LeafKind::Family;
  if (a.family == Family::kOther || b.family == Family::kOther) return std::nullopt;
  if (a.family == b.family) {
    if (a.family == Family::kDecimal && a.scale != b.scale) return std::nullopt;
    return a.size >= b.size ? a : b;
  }
  // Unsigned values fit a signed type of more bits.
  if (a.family == Family::kSigned && b.family == Family::kUnsigned && a.size > b.size) return a;
  if (b.family == Family::kSigned && a.family == Family::kUnsigned && b.size > a.size) return b;
  return std::nullopt;
}

// Whether two leaves of the kind kOther are one type: as sluice reads them (a STRING annotation
// and a legacy UTF8 one agree), stored alike.
bool SameOtherType(const ColumnDescriptor& a, const ColumnDescriptor& b) {
  if (a.physical_type != b.physical_type || a.type_length != b.type_length) return false;
  try {
    return parquet::ResolveColumnType(a).field.type == parquet::ResolveColumnType(b).field.type;
  } catch (const Error&) {
    ColumnDescriptor b_as_a = b;
    b_as_a.repetition = a.repetition;
    return SameType(a, b_as_a);
  }
}

// A top-level field of one file: its elements in the schema list and its leaves.
struct FileField {
  int file = 0;
  size_t first_element = 0;  // the field's own element
  size_t end_element = 0;
  std::vector<int> leaves;
};

// The top-level fields of a file by name.
std::map<std::string, FileField> FieldsOf(const InputFile& file, int index,
                                          std::vector<std::string>* order) {
  const std::vector<SchemaElement>& elements = file.footer->metadata.schema;
  const std::vector<int> parents = Parents(elements);
  std::map<std::string, FileField> fields;
  std::vector<size_t> tops;
  for (size_t i = 1; i < elements.size(); ++i) {
    if (parents[i] == 0) tops.push_back(i);
  }
  for (size_t t = 0; t < tops.size(); ++t) {
    const std::string& name = elements[tops[t]].name;
    FileField f{index, tops[t], t + 1 < tops.size() ? tops[t + 1] : elements.size(), {}};
    if (!fields.emplace(name, std::move(f)).second) {
      throw InvalidData("the file has two top-level fields named {}; pass --no-union-by-name", name)
          .With("file", file.path);
    }
    order->push_back(name);
  }
  for (const ColumnDescriptor& c : file.footer->schema.columns()) {
    fields[c.path.front()].leaves.push_back(c.leaf_index);
  }
  return fields;
}

class SchemaUnion {
 public:
  explicit SchemaUnion(const std::vector<InputFile>& files) : files_(files) {
    std::vector<int> newest(files.size());
    std::iota(newest.begin(), newest.end(), 0);
    std::stable_sort(newest.begin(), newest.end(), [&files](int a, int b) {
      const InputFile& x = files[static_cast<size_t>(a)];
      const InputFile& y = files[static_cast<size_t>(b)];
      return x.modified_ns != y.modified_ns ? x.modified_ns > y.modified_ns : x.path > y.path;
    });
    fields_.resize(files.size());
    for (int f : newest) {
      fields_[static_cast<size_t>(f)] = FieldsOf(files[static_cast<size_t>(f)], f, &names_);
      newest_.push_back(f);
    }
    std::vector<std::string> unique;
    std::set<std::string> seen;
    for (std::string& name : names_) {
      if (seen.insert(name).second) unique.push_back(std::move(name));
    }
    names_ = std::move(unique);
  }

  UnifiedSchema Build() {
    SchemaElement root = files_[static_cast<size_t>(newest_.front())].footer->metadata.schema[0];
    root.num_children = static_cast<int32_t>(names_.size());
    out_.elements.push_back(root);
    for (const std::string& name : names_) AddField(name);
    out_.columns = std::make_shared<const parquet::ParquetSchema>(
        parquet::ParquetSchema::Build(out_.elements));
    const size_t columns = static_cast<size_t>(out_.columns->num_columns());
    out_.column_map.assign(files_.size(), std::vector<int>(columns, -1));
    out_.reencode.assign(files_.size(), std::vector<bool>(columns, false));
    for (size_t c = 0; c < columns; ++c) {
      for (const auto& [file, leaf, reencode] : sources_[c]) {
        out_.column_map[static_cast<size_t>(file)][c] = leaf;
        out_.reencode[static_cast<size_t>(file)][c] = reencode;
      }
    }
    return std::move(out_);
  }

 private:
  struct Source {
    int file;
    int leaf;
    bool reencode;
  };

  // A single leaf, not repeated (a legacy repeated leaf is a list).
  bool IsFlat(const FileField& f) const {
    const SchemaElement& top =
        files_[static_cast<size_t>(f.file)].footer->metadata.schema[f.first_element];
    return f.end_element == f.first_element + 1 && top.repetition_type != Repetition::kRepeated;
  }
  std::string FieldShape(const FileField& f) const {
    if (f.leaves.empty()) return "a group without columns";
    return IsFlat(f) ? "a column" : fmt::format("a group of {} columns", f.leaves.size());
  }

  const ColumnDescriptor& Leaf(int file, int leaf) const {
    return files_[static_cast<size_t>(file)].footer->schema.columns()[static_cast<size_t>(leaf)];
  }
  const std::string& PathOf(int file) const { return files_[static_cast<size_t>(file)].path; }

  // The files that have the field, newest first, and the first one that lacks it (-1: none).
  std::vector<const FileField*> Having(const std::string& name, int* lacking) const {
    std::vector<const FileField*> having;
    *lacking = -1;
    for (int f : newest_) {
      auto it = fields_[static_cast<size_t>(f)].find(name);
      if (it != fields_[static_cast<size_t>(f)].end()) {
        having.push_back(&it->second);
      } else if (*lacking < 0) {
        *lacking = f;
      }
    }
    return having;
  }

  void AddField(const std::string& name) {
    int lacking = -1;
    std::vector<const FileField*> having = Having(name, &lacking);
    const FileField& ref = *having.front();
    for (const FileField* f : having) {
      // A leaf in one file and a group in another, or a group without leaves, do not unify.
      if (IsFlat(*f) != IsFlat(ref) || f->leaves.empty()) {
        throw Mismatch(
            fmt::format("field {} is {} against {}", name, FieldShape(ref), FieldShape(*f)),
            PathOf(ref.file), PathOf(f->file));
      }
    }
    if (IsFlat(ref)) {
      AddFlatField(having, lacking >= 0);
    } else {
      AddNestedField(having, lacking);
    }
  }

  // A flat field: the widest file's leaf, OPTIONAL when any file has it so or lacks it.
  void AddFlatField(const std::vector<const FileField*>& having, bool lacked) {
    const FileField* widest = having.front();
    LeafKind kind = KindOf(Leaf(widest->file, widest->leaves[0]));
    bool optional = lacked;
    for (const FileField* f : having) {
      const ColumnDescriptor& a = Leaf(widest->file, widest->leaves[0]);
      const ColumnDescriptor& b = Leaf(f->file, f->leaves[0]);
      optional = optional || b.repetition != Repetition::kRequired;
      if (f == widest) continue;
      const LeafKind other = KindOf(b);
      std::optional<LeafKind> common = CommonKind(kind, other);
      if (!common && !(kind == LeafKind{} && other == LeafKind{} && SameOtherType(a, b))) {
        throw Mismatch(fmt::format("column {} is {} against {}, which do not widen to one another",
                                   a.DottedPath(), TypeText(a), TypeText(b)),
                       PathOf(widest->file), PathOf(f->file));
      }
      if (common && !(*common == kind)) {
        widest = f;
        kind = *common;
      }
    }
    SchemaElement element = Leaf(widest->file, widest->leaves[0]).element;
    if (optional) element.repetition_type = Repetition::kOptional;
    out_.elements.push_back(element);
    std::vector<Source> sources;
    for (const FileField* f : having) {
      const ColumnDescriptor& b = Leaf(f->file, f->leaves[0]);
      const bool same = b.physical_type == element.type &&
                        b.type_length == element.type_length.value_or(0) &&
                        b.repetition == element.repetition_type;
      sources.push_back({f->file, f->leaves[0], !same});
    }
    sources_.push_back(std::move(sources));
  }

  // A nested field: the newest file's groups and leaves; every other file that has it must
  // agree leaf by leaf; a file that lacks it holds nulls, which need an OPTIONAL top.
  void AddNestedField(const std::vector<const FileField*>& having, int lacking) {
    const FileField& ref = *having.front();
    const InputFile& ref_file = files_[static_cast<size_t>(ref.file)];
    const std::vector<SchemaElement>& elements = ref_file.footer->metadata.schema;
    if (lacking >= 0 && elements[ref.first_element].repetition_type != Repetition::kOptional) {
      throw Mismatch(fmt::format("field {} is missing, and is not optional where it is present",
                                 elements[ref.first_element].name),
                     ref_file.path, PathOf(lacking));
    }
    out_.elements.insert(out_.elements.end(),
                         elements.begin() + static_cast<long>(ref.first_element),
                         elements.begin() + static_cast<long>(ref.end_element));
    const size_t first_output = sources_.size();
    for (int leaf : ref.leaves) {
      (void)leaf;
      sources_.emplace_back();
    }
    for (const FileField* f : having) {
      const InputFile& file = files_[static_cast<size_t>(f->file)];
      if (f->leaves.size() != ref.leaves.size()) {
        throw Mismatch(
            fmt::format("field {} has {} columns against {}", elements[ref.first_element].name,
                        ref.leaves.size(), f->leaves.size()),
            ref_file.path, file.path);
      }
      for (size_t i = 0; i < ref.leaves.size(); ++i) {
        const ColumnDescriptor& c = Leaf(ref.file, ref.leaves[i]);
        const int index = file.footer->schema.FindColumn(c.DottedPath());
        if (index < 0) {
          throw Mismatch(fmt::format("column {} is missing", c.DottedPath()), ref_file.path,
                         file.path);
        }
        // Named in listing order, as the strict mode does.
        const ColumnDescriptor& other = Leaf(f->file, index);
        if (f->file < ref.file) {
          CheckSameLeaf(file, other, ref_file, c);
        } else {
          CheckSameLeaf(ref_file, c, file, other);
        }
        sources_[first_output + i].push_back({f->file, index, false});
      }
    }
  }

  const std::vector<InputFile>& files_;
  std::vector<std::map<std::string, FileField>> fields_;  // by file
  std::vector<int> newest_;                               // file indices, newest first
  std::vector<std::string> names_;                        // the output's fields, in order
  std::vector<std::vector<Source>> sources_;              // by output column
  UnifiedSchema out_;
};

}  // namespace

UnifiedSchema UnifySchemas(const std::vector<InputFile>& files, bool by_name) {
  UnifiedSchema out;
  if (files.empty()) return out;
  if (by_name) return SchemaUnion(files).Build();
  const InputFile& first = files[0];
  out.elements = first.footer->metadata.schema;
  out.columns = std::shared_ptr<const parquet::ParquetSchema>(first.footer, &first.footer->schema);
  for (const InputFile& file : files) {
    out.column_map.push_back(MapColumnsStrictly(first, file));
    out.reencode.emplace_back(out.column_map.back().size(), false);
  }
  return out;
}

}  // namespace sluice::compact
