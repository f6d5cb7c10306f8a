#include "sluice/jobs/batch/row_set_fingerprint.h"

#include <fmt/format.h>

#include <numeric>
#include <vector>

#include "sluice/table/hash.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {

void RowSetFingerprint::Add(const RecordBatch& batch) {
  if (batch.num_rows() == 0) return;
  std::vector<int> columns(static_cast<size_t>(batch.num_columns()));
  std::iota(columns.begin(), columns.end(), 0);
  uint64_t sum0 = 0, sum1 = 0;
  if (!columns.empty()) {
    for (uint64_t h : HashRows(batch, columns, 0)) sum0 += h;
    for (uint64_t h : HashRows(batch, columns, 1)) sum1 += h;
  }
  rows_.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  sum0_.fetch_add(sum0, std::memory_order_relaxed);
  sum1_.fetch_add(sum1, std::memory_order_relaxed);
}

std::string RowSetFingerprint::Hex(const Schema& schema) const {
  std::string text = schema.ToString();
  text += fmt::format("|{}|{}|{}", rows_.load(), sum0_.load(), sum1_.load());
  return fmt::format("{:016x}", XxHash64(text.data(), text.size(), 0));
}

}  // namespace sluice::batch
