#include "sluice/io/parquet/nested_schema.h"

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_type.h"

namespace sluice::parquet {
namespace {

// The schema elements as a tree, with each element's levels.
struct Element {
  const SchemaElement* element = nullptr;
  int16_t def = 0;
  int16_t rep = 0;
  int leaf = -1;
  std::vector<int16_t> repeated_def = {0};  // by repetition level, down the path
  std::string path;
  std::vector<Element> children;

  bool repeated() const { return element->repetition_type == Repetition::kRepeated; }
  bool optional() const { return element->repetition_type == Repetition::kOptional; }
  bool is_group() const { return leaf < 0; }
};

Element ParseElement(const std::vector<SchemaElement>& elements, size_t* index, int* leaf,
                     const Element& parent) {
  const SchemaElement& e = elements.at((*index)++);
  Element out;
  out.element = &e;
  Repetition repetition = e.repetition_type.value_or(Repetition::kRequired);
  out.def = static_cast<int16_t>(parent.def + (repetition == Repetition::kRequired ? 0 : 1));
  out.rep = static_cast<int16_t>(parent.rep + (repetition == Repetition::kRepeated ? 1 : 0));
  out.path = parent.path.empty() ? e.name : parent.path + "." + e.name;
  out.repeated_def = parent.repeated_def;
  if (repetition == Repetition::kRepeated) out.repeated_def.push_back(out.def);
  bool is_group = e.num_children.has_value() && (*e.num_children > 0 || !e.type);
  if (!is_group) {
    out.leaf = (*leaf)++;
    return out;
  }
  for (int32_t i = 0; i < *e.num_children; ++i) {
    out.children.push_back(ParseElement(elements, index, leaf, out));
  }
  return out;
}

bool Annotated(const SchemaElement& e, LogicalType::Kind logical, ConvertedType converted) {
  return (e.logical_type && e.logical_type->kind == logical) || e.converted_type == converted;
}

bool IsList(const Element& e) {
  return e.is_group() && Annotated(*e.element, LogicalType::Kind::kList, ConvertedType::kList);
}

bool IsMap(const Element& e) {
  return e.is_group() && (Annotated(*e.element, LogicalType::Kind::kMap, ConvertedType::kMap) ||
                          e.element->converted_type == ConvertedType::kMapKeyValue);
}

class Builder {
 public:
  Builder(const ParquetSchema& schema, sluice::TimeUnit int96_unit)
      : schema_(schema), int96_unit_(int96_unit) {}

  // `e` in a context where slots exist from definition level `slot` at repetition level `rep`.
  NestedNode Build(const Element& e, int16_t slot, int16_t rep) {
    if (e.repeated()) return Unannotated(e, slot, rep);
    return Value(e, slot, e.def, rep, e.optional());
  }

 private:
  Error Malformed(const Element& e, std::string_view what) {
    return InvalidData("schema: {}", what).With("column", e.path);
  }

  // `e` as a value: its own kind, valid from `valid`.
  NestedNode Value(const Element& e, int16_t slot, int16_t valid, int16_t rep, bool nullable) {
    NestedNode node;
    node.slot_level = slot;
    node.valid_level = valid;
    node.rep_level = rep;
    node.path = e.path;
    node.field.name = e.element->name;
    node.field.nullable = nullable;
    if (!e.is_group()) {
      node.kind = NestedNode::Kind::kLeaf;
      node.leaf = e.leaf;
      node.first_leaf = e.leaf;
      node.repeated_def = e.repeated_def;
      node.field.type =
          ResolveColumnType(schema_.columns().at(static_cast<size_t>(e.leaf)), int96_unit_)
              .field.type;
      return node;
    }
    if (IsMap(e)) return Map(e, std::move(node));
    if (IsList(e)) return List(e, std::move(node));
    node.kind = NestedNode::Kind::kStruct;
    std::vector<Field> fields;
    for (const Element& child : e.children) {
      // A struct's fields have a slot wherever the struct has one.
      node.children.push_back(Build(child, slot, rep));
      fields.push_back(node.children.back().field);
    }
    if (fields.empty()) throw Malformed(e, "a group without fields");
    node.field.type = DataType::Struct(std::move(fields));
    node.first_leaf = node.children.front().first_leaf;
    return node;
  }

  NestedNode List(const Element& e, NestedNode node) {
    if (e.children.size() != 1 || !e.children[0].repeated()) {
      throw Malformed(e, "a LIST group must hold exactly one repeated field");
    }
    const Element& r = e.children[0];
    std::string name = r.element->name;
    bool two_level = !r.is_group() || r.children.size() > 1 || name == "array" ||
                     name == e.element->name + "_tuple";
    NestedNode element =
        two_level ? Value(r, r.def, r.def, r.rep, false) : Build(r.children[0], r.def, r.rep);
    return Wrap(std::move(node), std::move(element), NestedNode::Kind::kList);
  }

  NestedNode Map(const Element& e, NestedNode node) {
    if (e.children.size() != 1 || !e.children[0].repeated() || !e.children[0].is_group() ||
        e.children[0].children.empty() || e.children[0].children.size() > 2) {
      throw Malformed(e, "a MAP group must hold one repeated group of a key and a value");
    }
    const Element& kv = e.children[0];
    if (kv.children.size() == 1) {
      // Keys without values (a set): the list of its keys, as parquet-rs reads it.
      return Wrap(std::move(node), Build(kv.children[0], kv.def, kv.rep), NestedNode::Kind::kList);
    }
    NestedNode entries;
    entries.kind = NestedNode::Kind::kStruct;
    entries.slot_level = kv.def;
    entries.valid_level = kv.def;
    entries.rep_level = kv.rep;
    entries.path = kv.path;
    entries.children.push_back(Build(kv.children[0], kv.def, kv.rep));
    entries.children.push_back(Build(kv.children[1], kv.def, kv.rep));
    entries.first_leaf = entries.children[0].first_leaf;
    const NestedNode& key = entries.children[0];
    const NestedNode& value = entries.children[1];
    DataType map = DataType::Map(key.field.type, value.field.type, value.field.nullable);
    entries.field = map.field(0);
    entries.children[0].field.name = "key";
    entries.children[0].field.nullable = false;
    entries.children[1].field.name = "value";
    node.field.type = map;
    node.kind = NestedNode::Kind::kMap;
    node.first_leaf = entries.first_leaf;
    node.children.push_back(std::move(entries));
    return node;
  }

  // A repeated field outside a LIST or MAP: a list that is never null of elements that never are.
  NestedNode Unannotated(const Element& e, int16_t slot, int16_t rep) {
    NestedNode node;
    node.slot_level = slot;
    node.valid_level = slot;
    node.rep_level = rep;
    node.path = e.path;
    node.field.name = e.element->name;
    node.field.nullable = false;
    return Wrap(std::move(node), Value(e, e.def, e.def, e.rep, false), NestedNode::Kind::kList);
  }

  static NestedNode Wrap(NestedNode list, NestedNode element, NestedNode::Kind kind) {
    list.kind = kind;
    list.field.type = DataType::List(element.field);
    list.first_leaf = element.first_leaf;
    list.children.push_back(std::move(element));
    return list;
  }

  const ParquetSchema& schema_;
  sluice::TimeUnit int96_unit_;
};

}  // namespace

bool IsNestedTopLevel(const ParquetSchema& schema, const std::string& name) {
  for (const ColumnDescriptor& column : schema.columns()) {
    if (column.path.front() == name) return column.nested;
  }
  return false;
}

NestedNode BuildNestedField(const ParquetSchema& schema, const std::vector<SchemaElement>& elements,
                            const std::string& name, sluice::TimeUnit int96_unit) {
  // ParquetSchema::Build validated the tree, so the walk cannot run off the elements.
  Element root;
  root.element = &elements.at(0);
  size_t index = 1;
  int leaf = 0;
  for (int32_t i = 0; i < elements[0].num_children.value_or(0); ++i) {
    Element top = ParseElement(elements, &index, &leaf, root);
    if (top.element->name == name) return Builder(schema, int96_unit).Build(top, 0, 0);
  }
  throw NotFound("no column named {}", name);
}

std::vector<int> NestedLeaves(const NestedNode& node) {
  if (node.kind == NestedNode::Kind::kLeaf) return {node.leaf};
  std::vector<int> leaves;
  for (const NestedNode& child : node.children) {
    std::vector<int> below = NestedLeaves(child);
    leaves.insert(leaves.end(), below.begin(), below.end());
  }
  return leaves;
}

}  // namespace sluice::parquet
