#include "sluice/jobs/compact/sorted_partition.h"

#include <algorithm>
#include <optional>

#include "sluice/io/parquet/column_type.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/nested_schema.h"
#include "sluice/jobs/compact/array_widening.h"
#include "sluice/jobs/compact/listed_input.h"
#include "sluice/jobs/compact/sorted_output_writer.h"
#include "sluice/jobs/compact/zorder_key.h"
#include "sluice/ops/sort/sort_key.h"

namespace sluice::compact {
namespace {

constexpr const char* kZOrderColumn = "__sluice_zorder";
constexpr int64_t kMinBatchRows = 1024;
constexpr int64_t kMaxBatchRows = 64 * 1024;
// A scanned batch takes at most this fraction of a sort's memory.
constexpr int64_t kBatchShareDivisor = 64;

// One input row group: a unit of the sort's scan.
struct InputUnit {
  int file = 0;
  int row_group = 0;
};

// The partition's input row groups, read as a schema's columns (those a file lacks null).
class PartitionReader {
 public:
  // Batches take about `batch_bytes` each (judged from the footers' uncompressed sizes, doubled
  // for what decoding adds), so that a small budget is not overrun by one batch.
  PartitionReader(const std::vector<InputFile>& inputs, int64_t batch_bytes) : inputs_(inputs) {
    double row_bytes = 1;
    for (size_t f = 0; f < inputs.size(); ++f) {
      const auto& groups = inputs[f].footer->metadata.row_groups;
      for (size_t g = 0; g < groups.size(); ++g) {
        units_.push_back({static_cast<int>(f), static_cast<int>(g)});
        rows_.push_back(groups[g].num_rows);
        bytes_.push_back(groups[g].total_byte_size);
        row_bytes =
            std::max(row_bytes, 2.0 * static_cast<double>(groups[g].total_byte_size) /
                                    static_cast<double>(std::max<int64_t>(groups[g].num_rows, 1)));
      }
    }
    batch_rows_ =
        std::clamp<int64_t>(static_cast<int64_t>(static_cast<double>(batch_bytes) / row_bytes),
                            kMinBatchRows, kMaxBatchRows);
  }

  const std::vector<InputUnit>& units() const { return units_; }
  const std::vector<int64_t>& rows() const { return rows_; }
  const std::vector<int64_t>& bytes() const { return bytes_; }

  // Unit u's batches as `schema`'s columns.
  std::vector<RecordBatch> Read(int u, const std::shared_ptr<const Schema>& schema) const {
    const InputUnit& unit = units_[static_cast<size_t>(u)];
    const InputFile& file = inputs_[static_cast<size_t>(unit.file)];
    auto reader = parquet::ParquetFileReader::FromFooter(OpenListedInput(file), *file.footer);
    parquet::ParquetReadOptions options;
    options.row_groups = {unit.row_group};
    options.batch_rows = batch_rows_;
    const std::vector<std::string>& has = file.footer->schema.top_level_names();
    for (const Field& field : schema->fields()) {
      if (std::find(has.begin(), has.end(), field.name) != has.end()) {
        options.columns.push_back(field.name);
      }
    }
    std::vector<RecordBatch> out;
    if (options.columns.empty()) {  // the file has none of the columns: all null
      out.push_back(AsSchema(
          RecordBatch::Make(std::make_shared<const Schema>(), {}, rows_[static_cast<size_t>(u)]),
          schema));
      return out;
    }
    auto batches = reader->ReadBatches(options);
    while (std::optional<RecordBatch> batch = batches->Next()) {
      out.push_back(AsSchema(*batch, schema));
    }
    return out;
  }

 private:
  const std::vector<InputFile>& inputs_;
  std::vector<InputUnit> units_;
  std::vector<int64_t> rows_;
  std::vector<int64_t> bytes_;
  int64_t batch_rows_ = kMaxBatchRows;
};

// --zorder-by's key, its boundaries drawn from a sample of the partition's row groups.
std::shared_ptr<const ZOrderKey> SampledZOrderKey(const PartitionReader& reader,
                                                  const Schema& schema,
                                                  const std::vector<std::string>& columns) {
  auto key = std::make_shared<ZOrderKey>(schema, columns);
  const int units = static_cast<int>(reader.units().size());
  const int picked = std::min(units, kZOrderSampleUnits);
  std::vector<int> sample;
  int64_t rows = 0;
  for (int i = 0; i < picked; ++i) {
    const int u = static_cast<int>(static_cast<int64_t>(i) * units / picked);
    sample.push_back(u);
    rows += reader.rows()[static_cast<size_t>(u)];
  }
  const int64_t stride = std::max<int64_t>(1, (rows + kZOrderSampleRows - 1) / kZOrderSampleRows);
  for (int u : sample) {
    for (const RecordBatch& batch : reader.Read(u, key->sample_schema())) {
      key->AddSample(batch, stride);
    }
  }
  key->FinishSample();
  return key;
}

// The batch with its Z-order key as a last column, of `keyed`.
RecordBatch WithZOrderKey(const RecordBatch& batch, const ZOrderKey& key,
                          const std::shared_ptr<const Schema>& keyed) {
  std::vector<Array> columns = batch.columns();
  columns.push_back(key.Keys(batch));
  return RecordBatch::Make(keyed, std::move(columns), batch.num_rows());
}

}  // namespace

void SortCounters::Add(const SortStats& stats) {
  Add(SortCounters{.partitions = 1,
                   .rows = stats.output_rows,
                   .runs = stats.runs,
                   .spilled_runs = stats.spilled_runs,
                   .spilled_bytes = stats.spilled_bytes,
                   .peak_held_bytes = stats.peak_held_bytes,
                   .held_budget = stats.held_budget});
}

void SortCounters::Add(const SortCounters& other) {
  partitions += other.partitions;
  rows += other.rows;
  runs += other.runs;
  spilled_runs += other.spilled_runs;
  spilled_bytes += other.spilled_bytes;
  peak_held_bytes = std::max(peak_held_bytes, other.peak_held_bytes);
  held_budget = std::max(held_budget, other.held_budget);
}

std::shared_ptr<const Schema> OutputTableSchema(const PartitionPlan& plan) {
  const parquet::ParquetSchema& columns = *plan.columns;
  std::vector<Field> fields;
  for (const std::string& name : columns.top_level_names()) {
    if (parquet::IsNestedTopLevel(columns, name)) {
      fields.push_back(parquet::BuildNestedField(columns, plan.schema, name,
                                                 parquet::ColumnReadOptions{}.int96_unit)
                           .field);
    } else {
      fields.push_back(parquet::ResolveColumnType(
                           columns.columns()[static_cast<size_t>(columns.FindColumn(name))])
                           .field);
    }
  }
  return std::make_shared<const Schema>(std::move(fields));
}

SortedPartition SortPartition(std::shared_ptr<const PartitionPlan> plan,
                              const std::vector<InputFile>& inputs,
                              const std::filesystem::path& output_dir,
                              const CompactOptions& options, int64_t memory, int threads,
                              const CancellationToken& cancel) {
  const std::shared_ptr<const Schema> schema = OutputTableSchema(*plan);
  const PartitionReader reader(inputs, memory / kBatchShareDivisor);
  SortOptions sort;
  std::shared_ptr<const Schema> scanned = schema;
  std::shared_ptr<const ZOrderKey> zorder;
  if (options.zorder_by.empty()) {
    sort.keys = ParseSortKeys(options.sort_by);
    ResolveSortKeys(*schema, sort.keys);  // NotFound naming the column and listing the others
  } else {
    zorder = SampledZOrderKey(reader, *schema, options.zorder_by);
    std::vector<Field> fields = schema->fields();
    fields.push_back(Field{kZOrderColumn, DataType::UInt64(), false});
    scanned = std::make_shared<const Schema>(std::move(fields));
    sort.keys = {SortKey{kZOrderColumn, false}};
  }
  auto scan = TableScan::FromReader(scanned, reader.rows(), reader.bytes(), [&](int u) {
    std::vector<RecordBatch> batches = reader.Read(u, schema);
    if (zorder) {
      for (RecordBatch& b : batches) b = WithZOrderKey(b, *zorder, scanned);
    }
    return batches;
  });
  const int64_t writer_bytes = memory / 8;
  sort.run.memory_budget = memory - writer_bytes;
  sort.run.cpu_threads = threads;
  sort.run.cancel = cancel;
  sort.spill_dir = options.spill_dir;
  SortedOutputWriter writer(output_dir, plan, schema, options, writer_bytes);
  SortedPartition out;
  out.stats = SortTable(*scan, sort, [&](const RecordBatch& batch) {
    if (!zorder) return writer.Write(batch);
    std::vector<Array> columns = batch.columns();
    columns.pop_back();
    writer.Write(RecordBatch::Make(schema, std::move(columns), batch.num_rows()));
  });
  out.files = writer.Finish();
  return out;
}

}  // namespace sluice::compact
