#include "sluice/ops/distinct.h"

#include <algorithm>

#include "sluice/base/error.h"

namespace sluice {

GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options) {
  const Schema& input = *scan.schema();
  GroupBySpec spec;
  if (by.empty()) {
    for (const Field& f : input.fields()) spec.keys.push_back(f.name);
  } else {
    for (const std::string& key : by) {
      if (!input.FieldIndex(key))
        throw NotFound("unknown column in distinct keys").With("column", key);
      if (std::count(by.begin(), by.end(), key) > 1) {
        throw InvalidArgument("column named twice in distinct keys").With("column", key);
      }
    }
    spec.keys = by;
    for (const Field& f : input.fields()) {
      if (std::find(by.begin(), by.end(), f.name) == by.end()) {
        spec.aggregates.push_back(AggregateCall{"first", {f.name}, f.name});
      }
    }
  }
  GroupByResult result = RunGroupBy(scan, spec, options);
  // The group-by puts keys first: put the columns back in the input's order.
  std::vector<int> order;
  for (const Field& f : input.fields()) order.push_back(*result.schema->FieldIndex(f.name));
  result.schema = scan.schema();
  for (RecordBatch& batch : result.batches) {
    std::vector<Array> columns;
    for (int c : order) columns.push_back(batch.column(c));
    batch = RecordBatch::Make(result.schema, std::move(columns), batch.num_rows());
  }
  return result;
}

}  // namespace sluice
