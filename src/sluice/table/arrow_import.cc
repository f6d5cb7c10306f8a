#include "sluice/table/arrow_import.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/table/allocator.h"
#include "sluice/table/arrow_format.h"

namespace sluice {
namespace {

alignas(kBufferAlignment) const uint8_t zero_block[kBufferAlignment] = {};

// Owns a moved-in schema and releases it when the import is done.
class SchemaHolder {
 public:
  explicit SchemaHolder(ArrowSchema* schema) : schema_(*schema) { schema->release = nullptr; }
  ~SchemaHolder() {
    if (schema_.release != nullptr) schema_.release(&schema_);
  }
  const ArrowSchema& get() const { return schema_; }

 private:
  ArrowSchema schema_;
};

// Owns a moved-in array; shared by every Buffer that points into it.
struct ArrayHolder {
  explicit ArrayHolder(ArrowArray* array) : array(*array) { array->release = nullptr; }
  ~ArrayHolder() {
    if (array.release != nullptr) array.release(&array);
  }
  ArrowArray array;
};

Field FieldFromSchema(const ArrowSchema& schema);

// A nested format ("+l", "+L", "+w:N", "+s", "+m") with its children's fields.
DataType NestedType(const ArrowSchema& schema) {
  std::string_view format = schema.format;
  std::vector<Field> children;
  for (int64_t i = 0; i < schema.n_children; ++i) {
    children.push_back(FieldFromSchema(*schema.children[i]));
  }
  bool one_child = children.size() == 1;
  if (format == "+s") return DataType::Struct(std::move(children));
  if (format == "+l" && one_child) return DataType::List(std::move(children[0]));
  if (format == "+L" && one_child) return DataType::LargeList(std::move(children[0]));
  if (format.starts_with("+w:") && one_child) {
    DataType list_size = ParseArrowFormat(fmt::format("w:{}", format.substr(3)));
    return DataType::FixedSizeList(std::move(children[0]), list_size.byte_width());
  }
  if (format == "+m" && one_child && children[0].type.id() == TypeId::kStruct &&
      children[0].type.num_fields() == 2) {
    const DataType& entries = children[0].type;
    return DataType::Map(entries.field(0).type, entries.field(1).type, entries.field(1).nullable,
                         (schema.flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0);
  }
  if (format == "+l" || format == "+L" || format == "+m" || format.starts_with("+w:")) {
    throw InvalidData("arrow '{}' schema with {} children", format, children.size());
  }
  throw NotSupported("arrow format '{}' has no sluice type", format);
}

Field FieldFromSchema(const ArrowSchema& schema) {
  std::string name = schema.name == nullptr ? "" : schema.name;
  if (schema.format == nullptr)
    throw InvalidData("arrow schema without a format").With("column", name);
  if (schema.dictionary != nullptr) {
    throw NotSupported("dictionary-encoded arrow columns are not supported").With("column", name);
  }
  try {
    DataType type = schema.format[0] == '+' ? NestedType(schema) : ParseArrowFormat(schema.format);
    return Field{name, std::move(type), (schema.flags & ARROW_FLAG_NULLABLE) != 0};
  } catch (Error& error) {
    throw std::move(error.With("column", name));
  }
}

std::shared_ptr<const Buffer> Wrap(const void* pointer, int64_t size,
                                   const std::shared_ptr<const void>& owner) {
  return Buffer::Wrap(static_cast<const uint8_t*>(pointer), size, owner);
}

Array WrapArray(const ArrowArray& array, const DataType& type, int64_t extra_offset, int64_t length,
                const std::shared_ptr<const void>& owner);

// The children are wrapped whole: list offsets index them, and a struct's offset applies to them.
Array WrapNested(const ArrowArray& array, const DataType& type,
                 std::vector<std::shared_ptr<const Buffer>> buffers, int64_t length,
                 int64_t null_count, int64_t offset, const std::shared_ptr<const void>& owner) {
  std::vector<Array> children;
  for (int k = 0; k < type.num_fields(); ++k) {
    const ArrowArray& child = *array.children[k];
    if (child.length < 0) throw InvalidData("negative arrow length");
    try {
      children.push_back(WrapArray(child, type.field(k).type, 0, child.length, owner));
    } catch (Error& error) {
      throw std::move(error.With("field", type.field(k).name));
    }
  }
  if (buffers.size() == 2) {
    int64_t width = type.id() == TypeId::kLargeList ? 8 : 4;
    int64_t end = offset + length;
    const void* offsets = array.buffers[1];
    if (offsets == nullptr) {
      if (end > 0) throw InvalidData("{} arrow array without offsets", type.ToString());
      offsets = zero_block;
    }
    buffers[1] = Wrap(offsets, (end + 1) * width, owner);
  }
  return Array::MakeNested(type, length, std::move(buffers), std::move(children), null_count,
                           offset);
}

// Builds an Array of `length` rows over the buffers of `array`, which `owner` keeps alive.
// `extra_offset` is a parent struct's offset, which applies to its children too.
Array WrapArray(const ArrowArray& array, const DataType& type, int64_t extra_offset, int64_t length,
                const std::shared_ptr<const void>& owner) {
  if (array.dictionary != nullptr) throw NotSupported("dictionary-encoded arrow array");
  if (array.n_children != type.num_fields()) {
    throw InvalidData("{} arrow array has {} children", type.ToString(), array.n_children);
  }
  bool variable = type.layout() == Layout::kVariableBinary;
  bool offsets =
      type.id() == TypeId::kList || type.id() == TypeId::kLargeList || type.id() == TypeId::kMap;
  int64_t expected_buffers = variable ? 3 : type.is_nested() && !offsets ? 1 : 2;
  if (array.n_buffers != expected_buffers) {
    throw InvalidData("{} arrow array has {} buffers, expected {}", type.ToString(),
                      array.n_buffers, expected_buffers);
  }
  if (array.length < 0 || array.offset < 0) throw InvalidData("negative arrow length or offset");
  if (extra_offset + length > array.length) {
    throw InvalidData("arrow child array has {} rows, its struct needs {}", array.length,
                      extra_offset + length);
  }
  int64_t offset = array.offset + extra_offset;
  int64_t end = offset + length;
  // The producer's count covers the whole child; a view of part of it is counted afresh.
  bool whole = extra_offset == 0 && length == array.length;
  int64_t null_count = array.null_count < 0 || !whole ? kUnknownNullCount : array.null_count;
  std::vector<std::shared_ptr<const Buffer>> buffers(static_cast<size_t>(expected_buffers));
  if (array.buffers[0] != nullptr) {
    buffers[0] = Wrap(array.buffers[0], BitmapBytes(end), owner);
  } else if (array.null_count > 0) {
    throw InvalidData("arrow array with {} nulls has no validity bitmap", array.null_count);
  } else {
    null_count = 0;
  }
  if (type.is_nested()) {
    return WrapNested(array, type, std::move(buffers), length, null_count, offset, owner);
  }
  const void* values = array.buffers[1];
  switch (type.layout()) {
    case Layout::kBitmap:
    case Layout::kFixedWidth: {
      int64_t size = type.layout() == Layout::kBitmap ? BitmapBytes(end) : end * type.byte_width();
      if (values == nullptr) {
        if (size > 0) throw InvalidData("{} arrow array without a values buffer", type.ToString());
        values = zero_block;
      }
      buffers[1] = Wrap(values, size, owner);
      break;
    }
    case Layout::kVariableBinary: {
      if (values == nullptr) {
        // Producers may leave the offsets of an empty array out.
        if (end > 0) throw InvalidData("{} arrow array without offsets", type.ToString());
        values = zero_block;
      }
      const auto* offsets = static_cast<const int32_t*>(values);
      int64_t data_size = offsets[end];
      const void* data = array.buffers[2];
      if (data == nullptr) {
        if (data_size > 0) throw InvalidData("{} arrow array without data", type.ToString());
        data = zero_block;
      }
      buffers[1] = Wrap(values, (end + 1) * 4, owner);
      buffers[2] = Wrap(data, data_size, owner);
      break;
    }
    case Layout::kNested:
      break;
  }
  return Array::Make(type, length, std::move(buffers), null_count, offset);
}

}  // namespace

Field ImportField(ArrowSchema* schema) {
  SchemaHolder holder(schema);
  return FieldFromSchema(holder.get());
}

Schema ImportSchema(ArrowSchema* schema) {
  SchemaHolder holder(schema);
  const ArrowSchema& s = holder.get();
  if (s.format == nullptr || std::string_view(s.format) != "+s") {
    throw NotSupported("arrow schema of a record batch must be a struct (+s), got '{}'",
                       s.format == nullptr ? "" : s.format);
  }
  std::vector<Field> fields;
  for (int64_t i = 0; i < s.n_children; ++i) fields.push_back(FieldFromSchema(*s.children[i]));
  return Schema(std::move(fields));
}

Array ImportArray(ArrowArray* array, const DataType& type) {
  auto holder = std::make_shared<ArrayHolder>(array);
  return WrapArray(holder->array, type, 0, holder->array.length, holder);
}

RecordBatch ImportRecordBatch(ArrowArray* array, std::shared_ptr<const Schema> schema) {
  auto holder = std::make_shared<ArrayHolder>(array);
  const ArrowArray& parent = holder->array;
  if (parent.n_children != schema->num_fields()) {
    throw InvalidData("arrow struct array has {} children, the schema {} fields", parent.n_children,
                      schema->num_fields());
  }
  if (parent.n_buffers > 0 && parent.buffers[0] != nullptr && parent.null_count != 0 &&
      CountSetBits(static_cast<const uint8_t*>(parent.buffers[0]), parent.offset, parent.length) !=
          parent.length) {
    // A whole row of a batch cannot be null; sluice has no way to represent that.
    throw NotSupported("arrow struct array with null rows");
  }
  std::vector<Array> columns;
  columns.reserve(static_cast<size_t>(parent.n_children));
  for (int64_t i = 0; i < parent.n_children; ++i) {
    const Field& field = schema->field(static_cast<int>(i));
    const ArrowArray& child = *parent.children[i];
    try {
      columns.push_back(WrapArray(child, field.type, parent.offset, parent.length, holder));
    } catch (Error& error) {
      throw std::move(error.With("column", field.name));
    }
  }
  return RecordBatch::Make(std::move(schema), std::move(columns), parent.length);
}

RecordBatch ImportRecordBatch(ArrowArray* array, ArrowSchema* schema) {
  auto holder = std::make_shared<ArrayHolder>(array);
  auto imported = std::make_shared<const Schema>(ImportSchema(schema));
  // Hand the already-moved array on: ImportRecordBatch takes it from a plain struct.
  ArrowArray moved = holder->array;
  holder->array.release = nullptr;
  return ImportRecordBatch(&moved, std::move(imported));
}

}  // namespace sluice
