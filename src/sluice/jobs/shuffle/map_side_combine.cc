#include "sluice/jobs/shuffle/map_side_combine.h"

#include <fmt/format.h>

#include "sluice/base/check.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/table/builder.h"

namespace sluice::shuffle {
namespace {

// A partial aggregate and how its partials merge: count -> sum, the others into themselves.
struct Step {
  std::string partial;
  std::string merge;
};

std::optional<Step> StepOf(const std::string& function) {
  if (function == "count") return Step{"count", "sum"};
  if (function == "sum" || function == "min" || function == "max") return Step{function, function};
  return std::nullopt;
}

}  // namespace

std::optional<CombinePlan> PlanCombine(const std::vector<AggregateCall>& aggregates) {
  CombinePlan plan;
  auto add = [&plan](const std::string& partial, const std::vector<std::string>& columns,
                     const std::string& merge, const std::string& name) {
    const std::string column = fmt::format("_p{}", plan.partial.size());
    plan.partial.push_back({partial, columns, column});
    plan.merge.push_back({merge, {column}, name});
    return static_cast<int>(plan.merge.size()) - 1;
  };
  for (size_t i = 0; i < aggregates.size(); ++i) {
    const AggregateCall& call = aggregates[i];
    if (call.function == "mean" || call.function == "avg") {
      const int sum = add("sum", call.columns, "sum", fmt::format("_s{}", i));
      const int count = add("count", call.columns, "sum", fmt::format("_c{}", i));
      plan.outputs.push_back({call.name, sum, count});
      continue;
    }
    const std::optional<Step> step = StepOf(call.function);
    if (!step) return std::nullopt;
    plan.outputs.push_back({call.name, add(step->partial, call.columns, step->merge, call.name)});
  }
  return plan;
}

namespace {

// sum / count per row, as a double; null where the count is 0 or the sum null.
Array Divide(const Array& sum, const Array& count) {
  Float64Builder out;
  for (int64_t r = 0; r < sum.length(); ++r) {
    const int64_t n = count.IsNull(r) ? 0 : count.Value<int64_t>(r);
    if (n == 0 || sum.IsNull(r)) {
      out.AppendNull();
    } else if (sum.type().id() == TypeId::kFloat64) {
      out.Append(sum.Value<double>(r) / static_cast<double>(n));
    } else {
      out.Append(static_cast<double>(sum.Value<int64_t>(r)) / static_cast<double>(n));
    }
  }
  return out.Finish();
}

// count(*) of one row: 1; count(x): 1 where x is not null, else 0.
Array CountOfRow(const RecordBatch& batch, const AggregateCall& call) {
  FixedWidthBuilder<int64_t> out;
  out.Reserve(batch.num_rows());
  const Array* x = call.columns.empty() ? nullptr : &batch.column(call.columns[0]);
  for (int64_t r = 0; r < batch.num_rows(); ++r) out.Append(x == nullptr || !x->IsNull(r) ? 1 : 0);
  return out.Finish();
}

// sum(x) of one row: x in the sum's type (int64 or float64); null where x is null.
Array SumOfRow(const Array& x, const DataType& type) {
  if (x.type() == type && !x.is_dictionary()) return x;
  std::optional<Array> out;
  DispatchFixedWidth(x.type(), [&]<typename In>(In) {
    if constexpr (std::is_arithmetic_v<In>) {
      using Acc = std::conditional_t<std::is_floating_point_v<In>, double, int64_t>;
      FixedWidthBuilder<Acc> sums(type);
      sums.Reserve(x.length());
      for (int64_t r = 0; r < x.length(); ++r) {
        if (x.IsNull(r)) {
          sums.AppendNull();
        } else {
          sums.Append(static_cast<Acc>(x.Value<In>(r)));
        }
      }
      out = sums.Finish();
    }
  });
  SLUICE_CHECK(out.has_value());  // sum is planned for numeric columns only
  return *std::move(out);
}

}  // namespace

RecordBatch PartialRowsOf(const CombinePlan& plan, const std::vector<std::string>& keys,
                          const RecordBatch& batch,
                          const std::shared_ptr<const Schema>& partial_schema) {
  std::vector<Array> columns;
  for (const std::string& key : keys) columns.push_back(batch.column(key));
  for (const AggregateCall& call : plan.partial) {
    const DataType& type = partial_schema->field(static_cast<int>(columns.size())).type;
    if (call.function == "count") {
      columns.push_back(CountOfRow(batch, call));
    } else if (call.function == "sum") {
      columns.push_back(SumOfRow(batch.column(call.columns[0]), type));
    } else {  // min, max
      columns.push_back(batch.column(call.columns[0]));
    }
  }
  return RecordBatch::Make(partial_schema, std::move(columns), batch.num_rows());
}

Schema CombinedSchema(const CombinePlan& plan, size_t keys, const Schema& merged) {
  std::vector<Field> fields(merged.fields().begin(),
                            merged.fields().begin() + static_cast<ptrdiff_t>(keys));
  for (const CombinePlan::Output& output : plan.outputs) {
    if (output.divisor < 0) {
      fields.push_back(merged.field(static_cast<int>(keys) + output.column));
    } else {
      fields.push_back({output.name, DataType::Float64()});
    }
  }
  return Schema(std::move(fields));
}

RecordBatch FinishCombined(const CombinePlan& plan, size_t keys, const RecordBatch& merged) {
  std::vector<Array> columns(merged.columns().begin(),
                             merged.columns().begin() + static_cast<ptrdiff_t>(keys));
  for (const CombinePlan::Output& output : plan.outputs) {
    const Array& column = merged.column(static_cast<int>(keys) + output.column);
    columns.push_back(output.divisor < 0
                          ? column
                          : Divide(column, merged.column(static_cast<int>(keys) + output.divisor)));
  }
  return RecordBatch::Make(CombinedSchema(plan, keys, merged.schema()), std::move(columns),
                           merged.num_rows());
}

}  // namespace sluice::shuffle
