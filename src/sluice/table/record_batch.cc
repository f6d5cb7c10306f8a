#include "sluice/table/record_batch.h"

#include <algorithm>

#include "sluice/base/check.h"
#include "sluice/base/error.h"

namespace sluice {

RecordBatch RecordBatch::Make(std::shared_ptr<const Schema> schema, std::vector<Array> columns,
                              int64_t num_rows) {
  SLUICE_CHECK(schema != nullptr);
  if (static_cast<int>(columns.size()) != schema->num_fields()) {
    throw InvalidArgument("record batch has {} columns but its schema {} fields", columns.size(),
                          schema->num_fields());
  }
  if (columns.empty()) {
    if (num_rows < 0) throw InvalidArgument("a record batch without columns needs a row count");
  } else if (num_rows < 0) {
    num_rows = columns[0].length();
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& field = schema->field(static_cast<int>(i));
    const Array& column = columns[i];
    if (column.type() != field.type) {
      throw InvalidArgument("column has type {} but the schema says {}", column.type().ToString(),
                            field.type.ToString())
          .With("column", field.name);
    }
    if (column.length() != num_rows) {
      throw InvalidArgument("column has {} rows, expected {}", column.length(), num_rows)
          .With("column", field.name);
    }
    if (!field.nullable && column.null_count() > 0) {
      throw InvalidArgument("non-nullable column holds {} nulls", column.null_count())
          .With("column", field.name);
    }
  }
  return RecordBatch(std::move(schema), std::move(columns), num_rows);
}

const Array& RecordBatch::column(std::string_view name) const {
  std::optional<int> index = schema_->FieldIndex(name);
  if (!index) throw NotFound("no such column").With("column", std::string(name));
  return columns_[static_cast<size_t>(*index)];
}

RecordBatch RecordBatch::Slice(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset + length > num_rows_) {
    throw InvalidArgument("slice [{}, {}) is outside a batch of {} rows", offset, offset + length,
                          num_rows_);
  }
  std::vector<Array> columns;
  columns.reserve(columns_.size());
  for (const Array& column : columns_) columns.push_back(column.Slice(offset, length));
  return RecordBatch(schema_, std::move(columns), length);
}

std::vector<const Buffer*> DistinctBuffers(const RecordBatch& batch) {
  std::vector<const Buffer*> buffers;
  for (const Array& column : batch.columns()) {
    for (const auto& buffer : column.buffers()) {
      if (buffer != nullptr) buffers.push_back(buffer.get());
    }
  }
  std::sort(buffers.begin(), buffers.end());
  buffers.erase(std::unique(buffers.begin(), buffers.end()), buffers.end());
  return buffers;
}

int64_t ByteSize(const RecordBatch& batch) {
  int64_t total = 0;
  for (const Buffer* buffer : DistinctBuffers(batch)) total += buffer->capacity();
  return total;
}

}  // namespace sluice
