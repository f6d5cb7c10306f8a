#include "sluice/jobs/compact/compaction_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/statistics_merge.h"
#include "sluice/jobs/compact/schema_union.h"

namespace sluice::compact {
namespace {

using parquet::ColumnDescriptor;

// The minimum statistic of an input chunk of column `from` as a value of the output column `to`
// (widened: integers and decimals sign- or zero-extended, FLOAT to DOUBLE); none when the chunk
// has none or it cannot be brought over.
std::optional<std::string> MinAsOutput(const ColumnDescriptor& from, const ColumnDescriptor& to,
                                       const parquet::Statistics& stats) {
  using parquet::PhysicalType;
  const parquet::StatisticsOrder order = parquet::StatisticsOrderOf(from);
  std::optional<std::string> v = parquet::StatisticsMin(stats, order);
  if (!v || (from.physical_type == to.physical_type && from.type_length == to.type_length)) {
    return v;
  }
  if (from.physical_type == PhysicalType::kFloat && to.physical_type == PhysicalType::kDouble &&
      v->size() == 4) {
    float f;
    std::memcpy(&f, v->data(), 4);
    const double d = f;
    return std::string(reinterpret_cast<const char*>(&d), 8);
  }
  // Integers and decimals as big-endian two's complement, then at the output's width.
  std::string big_endian;
  bool negative = false;
  if ((from.physical_type == PhysicalType::kInt32 && v->size() == 4) ||
      (from.physical_type == PhysicalType::kInt64 && v->size() == 8)) {
    big_endian.assign(v->rbegin(), v->rend());
    negative = order != parquet::StatisticsOrder::kUnsigned && (big_endian[0] & 0x80);
  } else if (from.physical_type == PhysicalType::kFixedLenByteArray && !v->empty()) {
    big_endian = *v;
    negative = big_endian[0] & 0x80;
  } else {
    return std::nullopt;
  }
  const size_t width = to.physical_type == PhysicalType::kInt64 ? 8
                       : to.physical_type == PhysicalType::kFixedLenByteArray
                           ? static_cast<size_t>(to.type_length)
                           : 0;
  if (width < big_endian.size()) return std::nullopt;
  big_endian.insert(0, width - big_endian.size(), negative ? '\xff' : '\0');
  if (to.physical_type == PhysicalType::kInt64)
    return std::string(big_endian.rbegin(), big_endian.rend());
  return big_endian;
}

template <typename Item, typename Fn>
void Bin(std::vector<Item>& items, int64_t max_rows, int64_t max_bytes, Fn&& emit) {
  std::vector<Item> bin;
  int64_t rows = 0, bytes = 0;
  for (Item& item : items) {
    bool over = (max_rows > 0 && rows + item.rows > max_rows) ||
                (max_bytes > 0 && bytes + item.bytes > max_bytes);
    if (!bin.empty() && over) {
      emit(std::move(bin), rows, bytes);
      bin = {};
      rows = bytes = 0;
    }
    rows += item.rows;
    bytes += item.bytes;
    bin.push_back(std::move(item));
  }
  if (!bin.empty()) emit(std::move(bin), rows, bytes);
}

}  // namespace

PartitionPlan PlanPartition(const std::vector<InputFile>& files, const CompactOptions& options) {
  PartitionPlan plan;
  if (files.empty()) return plan;
  const InputFile& first = files[0];
  UnifiedSchema schema = UnifySchemas(files, options.union_by_name);
  plan.schema = std::move(schema.elements);
  plan.columns = std::move(schema.columns);
  plan.column_map = std::move(schema.column_map);
  plan.reencode = std::move(schema.reencode);
  int order_column = -1;
  if (!options.order_by.empty()) {
    order_column = plan.columns->FindColumn(options.order_by);
    if (order_column < 0) {
      throw NotFound("the sort column {} is not in the file", options.order_by)
          .With("file", first.path);
    }
    // A nested leaf's statistics span all its elements, not one value a row.
    if (plan.columns->columns()[static_cast<size_t>(order_column)].nested) {
      throw NotSupported("the sort column {} is nested; --order-by takes a flat column",
                         options.order_by)
          .With("file", first.path);
    }
  }
  struct Ranked {
    RowGroupRef ref;
    std::optional<std::string> key;
  };
  std::vector<Ranked> ranked;
  for (size_t f = 0; f < files.size(); ++f) {
    plan.bytes_in += files[f].size;
    const parquet::FileMetaData& md = files[f].footer->metadata;
    for (size_t g = 0; g < md.row_groups.size(); ++g) {
      const parquet::RowGroup& rg = md.row_groups[g];
      ++plan.row_groups_in;
      if (rg.num_rows == 0) continue;
      RowGroupRef ref{static_cast<int>(f), static_cast<int>(g), rg.num_rows, 0};
      for (const parquet::ColumnChunk& chunk : rg.columns) {
        ref.bytes += chunk.meta_data ? chunk.meta_data->total_compressed_size : 0;
      }
      plan.rows += rg.num_rows;
      Ranked r{ref, std::nullopt};
      if (order_column >= 0) {
        const size_t oc = static_cast<size_t>(order_column);
        const int leaf = plan.column_map[f][oc];
        // A file that lacks the column has no key: its row groups go last.
        const auto* meta = leaf >= 0 ? &rg.columns[static_cast<size_t>(leaf)].meta_data : nullptr;
        if (meta && *meta && (*meta)->statistics) {
          r.key = MinAsOutput(files[f].footer->schema.columns()[static_cast<size_t>(leaf)],
                              plan.columns->columns()[oc], *(*meta)->statistics);
        }
      }
      ranked.push_back(std::move(r));
    }
  }
  if (order_column >= 0) {
    const ColumnDescriptor& c = plan.columns->columns()[static_cast<size_t>(order_column)];
    parquet::StatisticsOrder order = parquet::StatisticsOrderOf(c);
    if (order == parquet::StatisticsOrder::kUndefined) {
      throw NotSupported("the sort column {} has no defined sort order", options.order_by);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [&](const Ranked& a, const Ranked& b) {
      if (!a.key || !b.key) return a.key.has_value() && !b.key.has_value();
      return parquet::CompareStatisticsValues(c, order, *a.key, *b.key) < 0;
    });
  }
  std::vector<RowGroupRef> refs;
  refs.reserve(ranked.size());
  for (Ranked& r : ranked) refs.push_back(r.ref);
  std::vector<OutputRowGroupPlan> groups;
  Bin(refs, options.row_group_rows, options.row_group_bytes,
      [&](std::vector<RowGroupRef> bin, int64_t rows, int64_t bytes) {
        groups.push_back({std::move(bin), rows, bytes});
      });
  plan.row_groups_out = static_cast<int64_t>(groups.size());
  Bin(groups, 0, options.target_file_bytes,
      [&](std::vector<OutputRowGroupPlan> bin, int64_t rows, int64_t bytes) {
        plan.files.push_back(
            {fmt::format("part-{:05d}.parquet", plan.files.size()), std::move(bin), rows, bytes});
      });
  return plan;
}

}  // namespace sluice::compact
