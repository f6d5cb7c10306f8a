#include "sluice/jobs/compact/column_reencode.h"

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_chunk_writer.h"
#include "sluice/io/parquet/column_reader.h"
#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/writer_schema.h"
#include "sluice/jobs/compact/array_widening.h"
#include "sluice/table/schema.h"

namespace sluice::compact {
namespace {

constexpr int64_t kBatchRows = 64 * 1024;

// How our writer stores the output column: its type as we read it, written back; refused when
// that is not the column's physical layout (INT96, for one, reads as a timestamp that we store
// as INT64).
parquet::WriterColumn WriterColumnFor(const parquet::ColumnDescriptor& column, const Field& field) {
  std::vector<parquet::WriterColumn> columns =
      parquet::MakeWriterColumns(Schema({Field{column.path.front(), field.type, field.nullable}}));
  parquet::WriterColumn& out = columns.front();
  // A decimal keeps the column's storage, which other writers pick otherwise than ours (INT64
  // for a small precision, a FIXED_LEN_BYTE_ARRAY wider than needed).
  if (field.type.id() == TypeId::kDecimal128) {
    using parquet::PhysicalType;
    using parquet::WriteConversion;
    if (column.physical_type == PhysicalType::kInt32) {
      out.conversion = WriteConversion::kDecimalToInt32;
    } else if (column.physical_type == PhysicalType::kInt64) {
      out.conversion = WriteConversion::kDecimalToInt64;
    } else if (column.physical_type == PhysicalType::kFixedLenByteArray) {
      out.conversion = WriteConversion::kDecimalToFixed;
      out.type_length = column.type_length;
    }
    if (out.conversion != WriteConversion::kNone) out.physical_type = column.physical_type;
  }
  if (out.physical_type != column.physical_type || out.type_length != column.type_length) {
    throw NotSupported("the column {} ({}) cannot be re-encoded as it is stored",
                       column.DottedPath(), field.type.ToString());
  }
  out.path = column.path;
  out.element = column.element;
  return out;
}

// Input `in`'s values of the column, as `type`, appended to `pieces`.
void ReadInput(const ReencodeInput& in, const DataType& type, std::vector<Array>* pieces) {
  if (in.leaf < 0) {
    pieces->push_back(NullArray(type, in.rows));
    return;
  }
  parquet::ColumnChunkReader reader(*in.source, *in.file->footer, in.row_group, in.leaf);
  for (int64_t read = 0; read < in.rows;) {
    Array batch = reader.Read(kBatchRows);
    if (batch.length() == 0) break;
    read += batch.length();
    pieces->push_back(WidenArray(batch, type));
  }
  reader.CheckFullyRead();
}

}  // namespace

parquet::ColumnChunk ReencodeColumnChunk(const parquet::ColumnDescriptor& column,
                                         std::span<const ReencodeInput> inputs,
                                         parquet::Codec& codec, int64_t max_dictionary_bytes,
                                         std::vector<uint8_t>* out) {
  if (column.nested) {
    throw NotSupported("the nested column {} would need re-encoding, which takes flat columns only",
                       column.DottedPath());
  }
  const Field field = parquet::ResolveColumnType(column).field;
  const parquet::WriterColumn writer_column = WriterColumnFor(column, field);
  std::vector<Array> pieces;
  for (const ReencodeInput& in : inputs) ReadInput(in, field.type, &pieces);
  parquet::ColumnWriteOptions options;
  options.dictionary_size_limit = max_dictionary_bytes;
  parquet::ColumnChunkWriter writer;
  return writer.Write(writer_column, pieces, options, codec, 0, out);
}

int64_t ReencodeWorkBytes(int64_t uncompressed_bytes, int64_t rows) {
  // The decoded values (widened up to twice), the output's pages and the writer's buffers.
  return 4 * uncompressed_bytes + 16 * rows;
}

}  // namespace sluice::compact
