#include "sluice/jobs/compact/compaction_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/statistics_merge.h"
#include "sluice/jobs/compact/schema_union.h"

namespace sluice::compact {
namespace {

using parquet::ColumnDescriptor;

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
        // A widened file's statistics are in its own type: its row groups go last.
        const parquet::ColumnChunk* chunk =
            leaf >= 0 && !plan.reencode[f][oc] ? &rg.columns[static_cast<size_t>(leaf)] : nullptr;
        const auto* meta = chunk && chunk->meta_data ? &*chunk->meta_data : nullptr;
        const ColumnDescriptor& c = plan.columns->columns()[oc];
        if (meta && meta->statistics) {
          r.key = parquet::StatisticsMin(*meta->statistics, parquet::StatisticsOrderOf(c));
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
