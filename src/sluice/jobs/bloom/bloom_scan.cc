#include "sluice/jobs/bloom/bloom_scan.h"

#include <fmt/format.h>

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/bloom/bloom_insert.h"
#include "sluice/ops/scan_stages.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

// As HashBloomValue hashes the values' text: string bytes, integers as 4 or 8 little-endian
// bytes.
BloomHashes HashColumn(const Array& column, BloomValueType type) {
  BloomHashes out;
  out.rows = column.length();
  out.hashes.reserve(static_cast<size_t>(column.length()));
  for (int64_t i = 0; i < column.length(); ++i) {
    if (column.IsNull(i)) {
      ++out.nulls;
      continue;
    }
    if (type == BloomValueType::kString) {
      out.hashes.push_back(SplitBlockBloomFilter::Hash(column.BinaryValue(i)));
    } else if (type == BloomValueType::kInt32) {
      const int32_t v = column.Value<int32_t>(i);
      out.hashes.push_back(XxHash64(&v, sizeof(v), 0));
    } else {
      const int64_t v = column.Value<int64_t>(i);
      out.hashes.push_back(XxHash64(&v, sizeof(v), 0));
    }
  }
  return out;
}

// The scan of the one column, with the row filter pushed in.
std::shared_ptr<TableScan> OpenScan(const BloomJobOptions& options, BloomJobResult& result) {
  if (!BloomInputsAreParquet(options.inputs)) {
    csv::CsvReadOptions csv = options.csv;
    // Untyped, the column is hashed as its text, as the byte path hashes it.
    csv.column_types.try_emplace(options.column, DataType::String());
    auto scan = TableScan::OpenCsv(options.inputs, std::move(csv), options.where);
    result.input_files = static_cast<int64_t>(scan->units().size());
    result.input_bytes = scan->data_bytes();
    return scan;
  }
  std::vector<std::string> paths;
  for (const std::string& pattern : options.inputs) {
    std::vector<fs::FileInfo> matches = fs::FileSystemFor(pattern)->Glob(pattern);
    if (matches.empty()) throw NotFound("no input file matches").With("input", pattern);
    for (const fs::FileInfo& m : matches) {
      paths.push_back(m.path);
      result.input_bytes += m.size;
    }
  }
  result.input_files = static_cast<int64_t>(paths.size());
  return TableScan::Open(paths, {options.column}, options.where);
}

// The column's position in the scan's batches (a CSV scan has every column).
int ColumnOf(const TableScan& scan, const std::string& column) {
  const std::optional<int> at = scan.schema()->FieldIndex(column);
  if (!at) {
    throw NotFound("no column named {}", column).With("columns", scan.schema()->ToString());
  }
  return *at;
}

// The passing rows, in a first pass.
int64_t CountRows(const TableScan& scan, const RunOptions& run) {
  Pipeline p("bloom-count");
  auto total = ScanStages(p, scan).Reduce(
      "sum", int64_t{0}, [](int64_t& s, PositionedBatch b) { s += b.batch.num_rows(); },
      [](int64_t& into, int64_t&& part) { into += part; });
  p.Run(SizingPassOptions(run));
  return total.value();
}

// The filter's size: given, or the scan's rows (Parquet, an upper bound), or counted.
BloomSize SizeFilter(const BloomJobOptions& options, const TableScan& scan, const RunOptions& run) {
  if (options.expected_items > 0) {
    return {options.expected_items, "given",
            fmt::format("sized for {} items (--expected-items)", options.expected_items)};
  }
  if (BloomInputsAreParquet(options.inputs) && options.sizing != BloomSizing::kCount) {
    const int64_t rows = std::max<int64_t>(1, scan.num_rows());
    return {rows, "estimated",
            fmt::format("sized for {} items (the rows the scan reads, those the row filter's "
                        "statistics and page index leave; --sizing count counts those that pass)",
                        rows)};
  }
  // A scan of its own, so the filter statistics count the main pass only.
  BloomJobResult ignored;
  const int64_t rows = std::max<int64_t>(1, CountRows(*OpenScan(options, ignored), run));
  return {rows, "counted",
          fmt::format("sized for {} items (rows{} counted in a first pass)", rows,
                      options.where.empty() ? "" : " that pass --where")};
}

}  // namespace

bool BloomInputsAreParquet(const std::vector<std::string>& inputs) {
  return !inputs.empty() && std::all_of(inputs.begin(), inputs.end(), [](const std::string& s) {
    return s.size() >= 8 && s.compare(s.size() - 8, 8, ".parquet") == 0;
  });
}

BloomSize SizeBloomScan(const BloomJobOptions& options, const RunOptions& run) {
  BloomJobResult ignored;
  return SizeFilter(options, *OpenScan(options, ignored), run);
}

BloomJobResult RunBloomScan(const BloomJobOptions& options, const RunOptions& run) {
  BloomJobResult result;
  std::shared_ptr<TableScan> scan = OpenScan(options, result);
  const int column = ColumnOf(*scan, options.column);
  const BloomValueType value_type =
      BloomValueTypeOf(scan->schema()->field(column).type, options.column);
  const BloomSize size = SizeFilter(options, *scan, run);
  const int64_t expected = size.expected;
  result.file.sizing = size.sizing;
  result.sizing_note = size.note;
  const BloomInsertPlan plan = PlanBloomInsert(run, expected, options.fpr);
  SLUICE_LOG_INFO("bloom: {}; filter {} blocks, up to {} partial filters", result.sizing_note,
                  plan.blocks, plan.partials);
  Pipeline p("bloom");
  auto merged = AddBloomInsert(ScanStages(p, *scan).Map("hash",
                                                        [column, value_type](PositionedBatch b) {
                                                          return HashColumn(b.batch.column(column),
                                                                            value_type);
                                                        }),
                               plan);
  result.report = p.Run(plan.run);
  FinishBloomResult(merged.value(), options, value_type, expected, plan,
                    *fs::FileSystemFor(options.output), result);
  result.scan = std::move(scan);
  return result;
}

}  // namespace sluice
