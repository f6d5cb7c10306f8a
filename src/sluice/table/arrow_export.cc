#include "sluice/table/arrow_export.h"

#include <memory>
#include <string>
#include <vector>

#include "sluice/table/allocator.h"
#include "sluice/table/arrow_format.h"

namespace sluice {
namespace {

// Consumers may read "no bytes" through a buffer pointer but must not get null for a data buffer.
alignas(kBufferAlignment) const uint8_t zero_block[kBufferAlignment] = {};

struct SchemaPrivate {
  std::string format;
  std::string name;
  std::vector<std::unique_ptr<ArrowSchema>> child_storage;
  std::vector<ArrowSchema*> children;
};

void ReleaseSchema(ArrowSchema* schema) {
  if (schema->release == nullptr) return;
  auto* state = static_cast<SchemaPrivate*>(schema->private_data);
  for (ArrowSchema* child : state->children) {
    if (child->release != nullptr) child->release(child);
  }
  delete state;
  schema->release = nullptr;
}

void FillSchema(std::unique_ptr<SchemaPrivate> state, int64_t flags, ArrowSchema* out) {
  out->format = state->format.c_str();
  out->name = state->name.c_str();
  out->metadata = nullptr;
  out->flags = flags;
  out->n_children = static_cast<int64_t>(state->children.size());
  out->children = state->children.empty() ? nullptr : state->children.data();
  out->dictionary = nullptr;
  out->release = ReleaseSchema;
  out->private_data = state.release();
}

struct ArrayPrivate {
  std::vector<std::shared_ptr<const Buffer>> keep;
  std::vector<const void*> buffers;
  std::vector<std::unique_ptr<ArrowArray>> child_storage;
  std::vector<ArrowArray*> children;
};

void ReleaseArray(ArrowArray* array) {
  if (array->release == nullptr) return;
  auto* state = static_cast<ArrayPrivate*>(array->private_data);
  for (ArrowArray* child : state->children) {
    if (child->release != nullptr) child->release(child);
  }
  delete state;
  array->release = nullptr;
}

void FillArray(std::unique_ptr<ArrayPrivate> state, int64_t length, int64_t null_count,
               int64_t offset, ArrowArray* out) {
  out->length = length;
  out->null_count = null_count;
  out->offset = offset;
  out->n_buffers = static_cast<int64_t>(state->buffers.size());
  out->n_children = static_cast<int64_t>(state->children.size());
  out->buffers = state->buffers.data();
  out->children = state->children.empty() ? nullptr : state->children.data();
  out->dictionary = nullptr;
  out->release = ReleaseArray;
  out->private_data = state.release();
}

}  // namespace

void ExportField(const Field& field, ArrowSchema* out) {
  auto state = std::make_unique<SchemaPrivate>();
  state->format = ArrowFormat(field.type);
  state->name = field.name;
  for (const Field& child : field.type.fields()) {
    state->child_storage.push_back(std::make_unique<ArrowSchema>());
    ExportField(child, state->child_storage.back().get());
    state->children.push_back(state->child_storage.back().get());
  }
  int64_t flags = field.nullable ? ARROW_FLAG_NULLABLE : 0;
  if (field.type.keys_sorted()) flags |= ARROW_FLAG_MAP_KEYS_SORTED;
  FillSchema(std::move(state), flags, out);
}

void ExportSchema(const Schema& schema, ArrowSchema* out) {
  auto state = std::make_unique<SchemaPrivate>();
  state->format = "+s";
  for (const Field& field : schema.fields()) {
    state->child_storage.push_back(std::make_unique<ArrowSchema>());
    ExportField(field, state->child_storage.back().get());
    state->children.push_back(state->child_storage.back().get());
  }
  FillSchema(std::move(state), 0, out);
}

void ExportArray(const Array& array, ArrowArray* out) {
  auto state = std::make_unique<ArrayPrivate>();
  state->keep = array.buffers();
  for (size_t i = 0; i < state->keep.size(); ++i) {
    const auto& buffer = state->keep[i];
    const void* pointer = buffer == nullptr ? nullptr : buffer->data();
    // The validity buffer may be null (no nulls); the others must point somewhere.
    if (i > 0 && pointer == nullptr) pointer = zero_block;
    state->buffers.push_back(pointer);
  }
  for (const Array& child : array.children()) {
    state->child_storage.push_back(std::make_unique<ArrowArray>());
    ExportArray(child, state->child_storage.back().get());
    state->children.push_back(state->child_storage.back().get());
  }
  FillArray(std::move(state), array.length(), array.null_count(), array.offset(), out);
}

void ExportRecordBatch(const RecordBatch& batch, ArrowArray* out) {
  auto state = std::make_unique<ArrayPrivate>();
  state->buffers.push_back(nullptr);  // the struct itself has no nulls
  for (const Array& column : batch.columns()) {
    state->child_storage.push_back(std::make_unique<ArrowArray>());
    ExportArray(column, state->child_storage.back().get());
    state->children.push_back(state->child_storage.back().get());
  }
  FillArray(std::move(state), batch.num_rows(), 0, 0, out);
}

}  // namespace sluice
