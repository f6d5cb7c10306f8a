#include "sluice/jobs/compact/compaction_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/io/parquet/format_enums.h"
#include "sluice/io/parquet/statistics_merge.h"

namespace sluice::compact {
namespace {

using parquet::ColumnDescriptor;

std::string TypeText(const ColumnDescriptor& c) {
  std::string text = parquet::PhysicalTypeName(c.physical_type);
  if (c.type_length > 0) text += fmt::format("({})", c.type_length);
  if (c.element.logical_type) text += " " + parquet::LogicalTypeName(*c.element.logical_type);
  text += c.repetition == parquet::Repetition::kRequired ? " required" : " optional";
  return text;
}

bool SameType(const ColumnDescriptor& a, const ColumnDescriptor& b) {
  return a.physical_type == b.physical_type && a.type_length == b.type_length &&
         a.repetition == b.repetition && a.element.logical_type == b.element.logical_type &&
         a.element.converted_type == b.element.converted_type &&
         a.element.scale == b.element.scale && a.element.precision == b.element.precision;
}

// The parent of each element of a schema list (the root's is -1); the list is valid
// (ParquetSchema::Build checked it).
std::vector<int> Parents(const std::vector<parquet::SchemaElement>& elements) {
  std::vector<int> parents(elements.size(), -1);
  std::vector<std::pair<int, int32_t>> open{{0, elements[0].num_children.value_or(0)}};
  for (size_t i = 1; i < elements.size() && !open.empty(); ++i) {
    while (!open.empty() && open.back().second == 0) open.pop_back();
    if (open.empty()) break;
    --open.back().second;
    parents[i] = open.back().first;
    const parquet::SchemaElement& e = elements[i];
    if (e.num_children.value_or(0) > 0) open.emplace_back(i, *e.num_children);
  }
  return parents;
}

// The groups above a leaf, top-level first, as text: their repetitions and annotations decide
// what the leaf's levels mean, so two files agree on a nested leaf only when these agree.
std::string GroupsText(const std::vector<parquet::SchemaElement>& elements,
                       const std::vector<int>& parents, const ColumnDescriptor& c) {
  std::vector<std::string> groups;
  for (int g = parents[static_cast<size_t>(c.schema_index)]; g > 0;
       g = parents[static_cast<size_t>(g)]) {
    const parquet::SchemaElement& e = elements[static_cast<size_t>(g)];
    std::string text =
        parquet::RepetitionName(e.repetition_type.value_or(parquet::Repetition::kRequired));
    if (e.logical_type) text += " " + parquet::LogicalTypeName(*e.logical_type);
    if (e.converted_type) text += " " + parquet::ConvertedTypeName(*e.converted_type);
    groups.push_back(text + " " + e.name);
  }
  std::reverse(groups.begin(), groups.end());
  return fmt::format("{}", fmt::join(groups, " / "));
}

// Maps the first file's columns onto `file`'s leaves, or explains why it cannot.
std::vector<int> MapColumns(const InputFile& first, const InputFile& file) {
  const parquet::ParquetSchema& want = first.footer->schema;
  const parquet::ParquetSchema& have = file.footer->schema;
  auto mismatch = [&](std::string why) {
    return InvalidData("the files of one partition have different schemas: {}", why)
        .With("file", first.path)
        .With("other_file", file.path);
  };
  if (want.num_columns() != have.num_columns()) {
    throw mismatch(fmt::format("{} columns against {}", want.num_columns(), have.num_columns()));
  }
  const std::vector<int> want_parents = Parents(first.footer->metadata.schema);
  const std::vector<int> have_parents = Parents(file.footer->metadata.schema);
  std::vector<int> map;
  for (const ColumnDescriptor& c : want.columns()) {
    int index = have.FindColumn(c.DottedPath());
    if (index < 0) throw mismatch(fmt::format("column {} is missing", c.DottedPath()));
    const ColumnDescriptor& other = have.columns()[static_cast<size_t>(index)];
    if (!SameType(c, other)) {
      throw mismatch(
          fmt::format("column {} is {} against {}", c.DottedPath(), TypeText(c), TypeText(other)));
    }
    if (c.nested) {
      std::string a = GroupsText(first.footer->metadata.schema, want_parents, c);
      std::string b = GroupsText(file.footer->metadata.schema, have_parents, other);
      if (a != b) {
        throw mismatch(fmt::format("column {} lies in {} against {}", c.DottedPath(), a, b));
      }
    }
    map.push_back(index);
  }
  return map;
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
  plan.schema = first.footer->metadata.schema;
  plan.columns = std::shared_ptr<const parquet::ParquetSchema>(first.footer, &first.footer->schema);
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
    plan.column_map.push_back(f == 0 ? MapColumns(first, first) : MapColumns(first, files[f]));
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
        int leaf = plan.column_map[f][static_cast<size_t>(order_column)];
        const auto& meta = rg.columns[static_cast<size_t>(leaf)].meta_data;
        const ColumnDescriptor& c = plan.columns->columns()[static_cast<size_t>(order_column)];
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
