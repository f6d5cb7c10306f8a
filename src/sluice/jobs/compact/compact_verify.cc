#include "sluice/jobs/compact/compact_verify.h"

#include <algorithm>
#include <functional>
#include <span>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/compact/array_widening.h"
#include "sluice/table/hash.h"

namespace sluice::compact {
namespace {

void AddRowHashes(std::span<const uint64_t> hashes, RowsDigest* digest) {
  for (uint64_t h : hashes) {
    digest->sum += h;
    // A second, non-linear sum: two multisets rarely agree on both by chance.
    uint64_t m = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
    digest->mixed_sum += m ^ (m >> 29);
  }
  digest->rows += static_cast<int64_t>(hashes.size());
}

// A column's values in one row group of `rows` rows, as the target schema has them (nulls when
// the file lacks it: not `present`; narrower types widened); each array to `add` in row order.
void ReadColumn(parquet::ParquetFileReader& reader, int row_group, int64_t rows,
                const std::string& column, bool present,
                const std::shared_ptr<const Schema>& target,
                const std::function<void(const Array&)>& add) {
  std::shared_ptr<const Schema> as;
  if (target) {
    as = std::make_shared<const Schema>(
        std::vector<Field>{target->field(*target->FieldIndex(column))});
    if (!present) return add(NullArray(as->field(0).type, rows));
  }
  parquet::ParquetReadOptions options;
  options.columns = {column};
  options.row_groups = {row_group};
  auto batches = reader.ReadBatches(options);
  while (std::optional<RecordBatch> batch = batches->Next()) {
    add(as ? AsSchema(*batch, as).column(0) : batch->column(0));
  }
}

// What reading one column of a row group holds at most: its chunks as stored (a chunk is read
// whole) and one batch of them decoded.
int64_t ColumnReadBytes(const parquet::ParquetFileReader& reader, int row_group,
                        const std::string& column) {
  const parquet::RowGroup& group =
      reader.footer().metadata.row_groups[static_cast<size_t>(row_group)];
  const double batch_share =
      std::min(1.0, static_cast<double>(parquet::ParquetReadOptions{}.batch_rows) /
                        static_cast<double>(std::max<int64_t>(group.num_rows, 1)));
  int64_t bytes = 0;
  for (int leaf : reader.ResolveColumns({column})) {
    const auto& meta = group.columns[static_cast<size_t>(leaf)].meta_data;
    if (!meta) continue;
    bytes += meta->total_compressed_size +
             static_cast<int64_t>(batch_share * static_cast<double>(meta->total_uncompressed_size));
  }
  return bytes;
}

// Where a digest's reads take their memory from (DigestParquetFiles).
struct DigestMemory {
  MemoryGate* gate = nullptr;
  const CancellationToken& cancel;
};

// A row group's row hashes, built a column at a time in HashRows's way (the first column's hash,
// the others combined in), so that one column chunk is held at once rather than the whole row
// group: a compacted row group is as large as --row-group-size, and verifying runs beside the
// compaction of other partitions.
void DigestRowGroup(parquet::ParquetFileReader& reader, int row_group,
                    const std::vector<std::string>& columns,
                    const std::shared_ptr<const Schema>& target, std::vector<uint64_t>& hashes,
                    const DigestMemory& memory, RowsDigest* digest) {
  const int64_t rows = reader.footer().metadata.row_groups[static_cast<size_t>(row_group)].num_rows;
  const std::vector<std::string>& has = reader.footer().schema.top_level_names();
  hashes.assign(static_cast<size_t>(rows), 0);
  for (size_t c = 0; c < columns.size(); ++c) {
    const bool present = std::find(has.begin(), has.end(), columns[c]) != has.end();
    MemoryGate::Hold hold;
    if (memory.gate && present) {
      hold = memory.gate->Acquire(
          ColumnReadBytes(reader, row_group, columns[c]) + rows * int64_t{sizeof(uint64_t)},
          memory.cancel);
    }
    int64_t at = 0;
    ReadColumn(reader, row_group, rows, columns[c], present, target, [&](const Array& values) {
      if (at + values.length() > rows) {
        throw InvalidData("a column holds more rows than its row group ({})", rows)
            .With("file", reader.name())
            .With("column", columns[c]);
      }
      std::span<uint64_t> out(hashes.data() + at, static_cast<size_t>(values.length()));
      c == 0 ? HashArray(values, out) : HashArrayCombine(values, out);
      at += values.length();
    });
  }
  AddRowHashes(hashes, digest);
}

}  // namespace

RowsDigest DigestParquetFiles(const std::vector<std::string>& paths,
                              const std::vector<std::string>& columns, const Schema* schema,
                              MemoryGate* gate, const CancellationToken& cancel) {
  const DigestMemory memory{gate, cancel};
  RowsDigest digest;
  std::vector<uint64_t> hashes;
  auto target = schema ? std::make_shared<const Schema>(*schema) : nullptr;
  for (const std::string& path : paths) {
    auto reader = parquet::ParquetFileReader::Open(path);
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      DigestRowGroup(*reader, g, columns, target, hashes, memory, &digest);
    }
  }
  return digest;
}

void VerifyOutputs(const std::string& partition, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, const std::vector<std::string>& columns,
                   MemoryGate* gate, const CancellationToken& cancel) {
  parquet::ParquetReadOptions read;
  read.columns = columns;
  const std::shared_ptr<const Schema> schema =
      parquet::ParquetFileReader::Open(outputs.at(0))->ReadSchema(read);
  RowsDigest in = DigestParquetFiles(inputs, columns, schema.get(), gate, cancel);
  RowsDigest out = DigestParquetFiles(outputs, columns, nullptr, gate, cancel);
  if (in.rows != out.rows) {
    throw InvalidData("verification failed: the outputs hold {} rows, the inputs {}", out.rows,
                      in.rows)
        .With("partition", partition);
  }
  if (!(in == out)) {
    throw InvalidData("verification failed: the outputs' rows differ from the inputs' ({} rows)",
                      in.rows)
        .With("partition", partition);
  }
}

}  // namespace sluice::compact
