#include "sluice/io/parquet/file_concat.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_system_source.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/row_group_file_writer.h"

namespace sluice::parquet {
namespace {

struct OpenedInput {
  std::unique_ptr<RandomAccessSource> source;
  ParquetFooter footer;
};

// Streams the column chunk `chunk` of `in` into the row group being written.
void CopyColumnChunk(OpenedInput& in, ColumnChunk chunk, RowGroupFileWriter& writer,
                     std::vector<uint8_t>& piece) {
  const ColumnChunkRange range = ComputeColumnChunkRange(*chunk.meta_data);
  for (int64_t done = 0; done < range.length;) {
    const int64_t n = std::min(kConcatPieceBytes, range.length - done);
    piece.resize(static_cast<size_t>(n));
    in.source->ReadAt(range.start + done, piece);
    writer.AppendChunkBytes(piece);
    done += n;
  }
  ShiftColumnChunkOffsets(&chunk, -range.start);
  chunk.offset_index_offset.reset();
  chunk.offset_index_length.reset();
  chunk.column_index_offset.reset();
  chunk.column_index_length.reset();
  chunk.meta_data->bloom_filter_offset.reset();
  chunk.meta_data->bloom_filter_length.reset();
  writer.EndColumnChunk(std::move(chunk));
}

}  // namespace

int64_t ConcatenateParquetFiles(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.empty()) throw InvalidArgument("no Parquet files to concatenate").With("file", output);
  std::vector<OpenedInput> opened;
  int row_groups = 0;
  for (const std::string& path : inputs) {
    OpenedInput in{OpenRandomAccessSource(path), {}};
    in.footer = ReadFooter(*in.source);
    if (!opened.empty() && in.footer.metadata.schema != opened[0].footer.metadata.schema) {
      throw InvalidArgument("a Parquet file to concatenate has another schema than {}", inputs[0])
          .With("file", path);
    }
    row_groups += static_cast<int>(in.footer.metadata.row_groups.size());
    opened.push_back(std::move(in));
  }
  const FileMetaData& first = opened[0].footer.metadata;
  auto writer =
      RowGroupFileWriter::Open(output, first.schema, row_groups, first.key_value_metadata);
  std::vector<uint8_t> piece;
  int slot = 0;
  for (OpenedInput& in : opened) {
    for (const RowGroup& group : in.footer.metadata.row_groups) {
      writer->StartRowGroup(slot++);
      for (const ColumnChunk& chunk : group.columns) CopyColumnChunk(in, chunk, *writer, piece);
      writer->FinishRowGroup(group.num_rows);
    }
  }
  return writer->Close();
}

}  // namespace sluice::parquet
