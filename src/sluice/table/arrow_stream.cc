#include "sluice/table/arrow_stream.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "sluice/base/error.h"
#include "sluice/table/arrow_export.h"
#include "sluice/table/arrow_import.h"

namespace sluice {
namespace {

struct StreamPrivate {
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;
  size_t next = 0;
  std::string last_error;
};

StreamPrivate* State(ArrowArrayStream* stream) {
  return static_cast<StreamPrivate*>(stream->private_data);
}

int GetSchema(ArrowArrayStream* stream, ArrowSchema* out) {
  try {
    ExportSchema(*State(stream)->schema, out);
    return 0;
  } catch (const std::exception& e) {
    State(stream)->last_error = e.what();
    return EIO;
  }
}

int GetNext(ArrowArrayStream* stream, ArrowArray* out) {
  StreamPrivate* state = State(stream);
  if (state->next == state->batches.size()) {
    out->release = nullptr;  // end of stream
    return 0;
  }
  try {
    ExportRecordBatch(state->batches[state->next], out);
    // Drop our reference: the exported array keeps the buffers alive as long as the consumer
    // needs them, and no longer.
    state->batches[state->next] = state->batches[state->next].Slice(0, 0);
    ++state->next;
    return 0;
  } catch (const std::exception& e) {
    state->last_error = e.what();
    return EIO;
  }
}

const char* GetLastError(ArrowArrayStream* stream) {
  const std::string& error = State(stream)->last_error;
  return error.empty() ? nullptr : error.c_str();
}

void Release(ArrowArrayStream* stream) {
  if (stream->release == nullptr) return;
  delete State(stream);
  stream->release = nullptr;
}

}  // namespace

void ExportRecordBatchStream(std::shared_ptr<const Schema> schema, std::vector<RecordBatch> batches,
                             ArrowArrayStream* out) {
  for (size_t i = 0; i < batches.size(); ++i) {
    if (batches[i].schema() != *schema) {
      throw InvalidArgument("batch schema differs from the stream's")
          .With("batch", std::to_string(i));
    }
  }
  auto state = std::make_unique<StreamPrivate>();
  state->schema = std::move(schema);
  state->batches = std::move(batches);
  out->get_schema = GetSchema;
  out->get_next = GetNext;
  out->get_last_error = GetLastError;
  out->release = Release;
  out->private_data = state.release();
}

ArrowStreamReader::ArrowStreamReader(ArrowArrayStream* stream) : stream_(*stream) {
  stream->release = nullptr;
  ArrowSchema schema;
  int code = stream_.get_schema(&stream_, &schema);
  if (code != 0) {
    ThrowProducerError(code, "get_schema");
  }
  try {
    schema_ = std::make_shared<const Schema>(ImportSchema(&schema));
  } catch (...) {
    stream_.release(&stream_);
    throw;
  }
}

ArrowStreamReader::~ArrowStreamReader() {
  if (stream_.release != nullptr) stream_.release(&stream_);
}

std::optional<RecordBatch> ArrowStreamReader::Next() {
  ArrowArray array;
  int code = stream_.get_next(&stream_, &array);
  if (code != 0) ThrowProducerError(code, "get_next");
  if (array.release == nullptr) return std::nullopt;
  return ImportRecordBatch(&array, schema_);
}

void ArrowStreamReader::ThrowProducerError(int code, const char* operation) {
  const char* message = stream_.get_last_error(&stream_);
  Error error = IoError("arrow stream {} failed: {}", operation,
                        message != nullptr ? message : std::strerror(code));
  // The constructor throws before the destructor can run: release here.
  if (schema_ == nullptr && stream_.release != nullptr) stream_.release(&stream_);
  throw error;
}

}  // namespace sluice
