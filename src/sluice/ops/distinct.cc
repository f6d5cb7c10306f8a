#include "sluice/ops/distinct.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/ops/key_encoder.h"

namespace sluice {

GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options, const GroupBySink& sink) {
  const Schema& input = *scan.schema();
  GroupBySpec spec;
  if (by.empty()) {
    for (const Field& f : input.fields()) {
      CheckFlatKey(f, "without keys every column is a distinct key, and");
      spec.keys.push_back(f.name);
    }
  } else {
    for (const std::string& key : by) {
      std::optional<int> index = input.FieldIndex(key);
      if (!index) throw NotFound("unknown column in distinct keys").With("column", key);
      if (std::count(by.begin(), by.end(), key) > 1) {
        throw InvalidArgument("column named twice in distinct keys").With("column", key);
      }
      CheckFlatKey(input.field(*index), "the distinct key");
    }
    spec.keys = by;
    for (const Field& f : input.fields()) {
      if (std::find(by.begin(), by.end(), f.name) == by.end()) {
        spec.aggregates.push_back(AggregateCall{"first", {f.name}, f.name});
      }
    }
  }
  // The group-by puts keys first: each batch gets the columns back in the input's order.
  const std::shared_ptr<const Schema> grouped = GroupByOutputSchema(input, spec);
  std::vector<int> order;
  for (const Field& f : input.fields()) order.push_back(*grouped->FieldIndex(f.name));
  const std::shared_ptr<const Schema>& schema = scan.schema();
  GroupByResult result = RunGroupBy(scan, spec, options, [&](RecordBatch batch) {
    std::vector<Array> columns;
    for (int c : order) columns.push_back(batch.column(c));
    sink(RecordBatch::Make(schema, std::move(columns), batch.num_rows()));
  });
  result.schema = schema;
  return result;
}

GroupByResult RunDistinct(const TableScan& scan, const std::vector<std::string>& by,
                          const GroupByOptions& options) {
  std::vector<RecordBatch> batches;
  GroupByResult result = RunDistinct(
      scan, by, options, [&batches](RecordBatch b) { batches.push_back(std::move(b)); });
  result.batches = std::move(batches);
  return result;
}

}  // namespace sluice
