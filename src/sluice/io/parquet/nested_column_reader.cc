#include "sluice/io/parquet/nested_column_reader.h"

#include <algorithm>
#include <limits>

#include "sluice/base/error.h"
#include "sluice/table/buffer_builder.h"

namespace sluice::parquet {

NestedColumnReader::NestedColumnReader(RandomAccessSource& source, const ParquetFooter& footer,
                                       int row_group, const NestedNode& field,
                                       const ColumnReadOptions& options)
    : field_(field), leaf_ids_(NestedLeaves(field)), allocator_(options.allocator) {
  std::vector<const NestedNode*> stack = {&field};
  std::vector<const NestedNode*> leaf_nodes(leaf_ids_.size());
  while (!stack.empty()) {
    const NestedNode* node = stack.back();
    stack.pop_back();
    if (node->kind == NestedNode::Kind::kLeaf) {
      auto at = std::find(leaf_ids_.begin(), leaf_ids_.end(), node->leaf) - leaf_ids_.begin();
      leaf_nodes[static_cast<size_t>(at)] = node;
    }
    for (const NestedNode& child : node->children) stack.push_back(&child);
  }
  for (const NestedNode* leaf : leaf_nodes) {
    leaves_.push_back(std::make_unique<NestedLeafReader>(
        source, footer, row_group, leaf->leaf, leaf->slot_level, leaf->repeated_def, options));
  }
  records_.resize(leaves_.size());
}

NestedColumnReader::~NestedColumnReader() = default;

void NestedColumnReader::StartRowGroup(int row_group) {
  for (auto& leaf : leaves_) leaf->StartRowGroup(row_group);
}

LeafRecords& NestedColumnReader::Leaf(int leaf) {
  auto at = std::find(leaf_ids_.begin(), leaf_ids_.end(), leaf) - leaf_ids_.begin();
  return records_[static_cast<size_t>(at)];
}

Array NestedColumnReader::Read(int64_t records) {
  for (size_t k = 0; k < leaves_.size(); ++k) leaves_[k]->Read(records, &records_[k]);
  return Assemble(field_);
}

void NestedColumnReader::Skip(int64_t records) {
  for (size_t k = 0; k < leaves_.size(); ++k) leaves_[k]->Read(records, &records_[k]);
}

void NestedColumnReader::CheckFullyRead() {
  for (auto& leaf : leaves_) leaf->CheckFullyRead();
}

Array NestedColumnReader::Assemble(const NestedNode& node) {
  if (node.kind == NestedNode::Kind::kLeaf) return *Leaf(node.leaf).values;
  const LeafRecords& levels = Leaf(node.first_leaf);
  const bool list = node.kind == NestedNode::Kind::kList || node.kind == NestedNode::Kind::kMap;
  const NestedNode* element = list ? &node.children[0] : nullptr;
  BitmapBuilder validity(allocator_);
  BufferBuilder offsets(allocator_);
  int64_t slots = 0;
  int64_t nulls = 0;
  int64_t elements = 0;
  for (size_t i = 0; i < levels.def.size(); ++i) {
    const int16_t def = levels.def[i];
    const int16_t rep = levels.rep[i];
    if (def >= node.slot_level && rep <= node.rep_level) {
      if (list) offsets.AppendValue(static_cast<int32_t>(elements));
      const bool valid = def >= node.valid_level;
      validity.Append(valid);
      nulls += valid ? 0 : 1;
      ++slots;
    }
    if (list && def >= element->slot_level && rep <= element->rep_level) ++elements;
  }
  if (elements > std::numeric_limits<int32_t>::max()) {
    throw NotSupported("a batch of {} list elements overflows 32-bit offsets; read fewer rows",
                       elements)
        .With("column", node.path);
  }
  std::vector<Array> children;
  for (const NestedNode& child : node.children) {
    children.push_back(Assemble(child));
    const int64_t expected = list ? elements : slots;
    if (children.back().length() != expected) {
      throw InvalidData("the levels of {} place {} values where {} holds {}", child.path,
                        children.back().length(), node.path, expected)
          .With("column", node.path);
    }
  }
  std::vector<std::shared_ptr<const Buffer>> buffers;
  buffers.push_back(nulls > 0 ? validity.Finish() : nullptr);
  if (list) {
    offsets.AppendValue(static_cast<int32_t>(elements));
    buffers.push_back(offsets.Finish());
  }
  return Array::MakeNested(node.field.type, slots, std::move(buffers), std::move(children), nulls);
}

}  // namespace sluice::parquet
