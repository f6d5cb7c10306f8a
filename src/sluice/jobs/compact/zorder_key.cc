#include "sluice/jobs/compact/zorder_key.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

// Up to kMaxBoundaries distinct keys at evenly spaced quantiles of the sampled keys.
std::vector<std::string> QuantileBoundaries(std::vector<std::string> sampled) {
  std::sort(sampled.begin(), sampled.end(),
            [](const std::string& a, const std::string& b) { return CompareSortKeys(a, b) < 0; });
  sampled.erase(std::unique(sampled.begin(), sampled.end()), sampled.end());
  const size_t n = sampled.size();
  const size_t want = std::min<size_t>(n, ZOrderKey::kMaxBoundaries);
  std::vector<std::string> boundaries;
  boundaries.reserve(want);
  for (size_t i = 0; i < want; ++i) {
    // The (i+1)-th of want+1 equal parts' lower end; distinct since the sample is.
    boundaries.push_back(std::move(sampled[(i * n) / want]));
  }
  boundaries.erase(std::unique(boundaries.begin(), boundaries.end()), boundaries.end());
  return boundaries;
}

}  // namespace

ZOrderKey::ZOrderKey(const Schema& schema, const std::vector<std::string>& columns) {
  if (columns.size() < 2 || columns.size() > 8) {
    throw InvalidArgument("--zorder-by takes two to eight columns, not {}", columns.size());
  }
  std::vector<SortKey> keys;
  for (const std::string& c : columns) keys.push_back(SortKey{c, false});
  columns_ = ResolveSortKeys(schema, keys);  // NotFound listing the columns
  bits_ = std::min(32, 64 / static_cast<int>(columns.size()));
  std::vector<Field> fields;
  for (int c : columns_) fields.push_back(schema.field(c));
  sample_schema_ = std::make_shared<const Schema>(std::move(fields));
  for (size_t j = 0; j < columns_.size(); ++j) {
    encoders_.emplace_back(*sample_schema_, std::vector<int>{static_cast<int>(j)},
                           std::vector<bool>{false});
  }
  sampled_.resize(columns_.size());
}

void ZOrderKey::AddSample(const RecordBatch& batch, int64_t stride) {
  for (size_t j = 0; j < encoders_.size(); ++j) {
    const Array keys = encoders_[j].Encode(batch, /*with_positions=*/false);
    const SortKeyColumn column(keys);
    for (int64_t r = 0; r < batch.num_rows(); r += std::max<int64_t>(stride, 1)) {
      sampled_[j].emplace_back(column.key(r));
    }
  }
}

void ZOrderKey::FinishSample() {
  for (std::vector<std::string>& sampled : sampled_) {
    boundaries_.push_back(QuantileBoundaries(std::move(sampled)));
  }
  sampled_.clear();
}

Array ZOrderKey::Keys(const RecordBatch& batch) const {
  const int64_t rows = batch.num_rows();
  std::vector<uint64_t> keys(static_cast<size_t>(rows), 0);
  const uint64_t top = (uint64_t{1} << bits_) - 1;
  std::vector<Array> projected;
  for (int c : columns_) projected.push_back(batch.column(c));
  const RecordBatch z = RecordBatch::Make(sample_schema_, std::move(projected), rows);
  // Column by column, each rank's bit b going to bit b * columns + (columns - 1 - j): the first
  // column's bit first at every level.
  for (size_t j = 0; j < columns_.size(); ++j) {
    const Array encoded = encoders_[j].Encode(z, /*with_positions=*/false);
    const SortKeyColumn column(encoded);
    const std::vector<std::string>& bounds = boundaries_[j];
    const uint64_t buckets = bounds.size();
    const int shift = static_cast<int>(columns_.size() - 1 - j);
    for (int64_t r = 0; r < rows; ++r) {
      const std::string_view key = column.key(r);
      // How many boundaries are at or below the key: 0..buckets, spread over `bits_` bits.
      const auto rank =
          static_cast<uint64_t>(std::upper_bound(bounds.begin(), bounds.end(), key,
                                                 [](std::string_view k, const std::string& b) {
                                                   return CompareSortKeys(k, b) < 0;
                                                 }) -
                                bounds.begin());
      const uint64_t scaled = buckets == 0 ? 0 : rank * top / buckets;
      uint64_t spread = 0;
      for (int b = 0; b < bits_; ++b) {
        spread |= ((scaled >> b) & 1) << (b * static_cast<int>(columns_.size()) + shift);
      }
      keys[static_cast<size_t>(r)] |= spread;
    }
  }
  FixedWidthBuilder<uint64_t> builder;
  builder.AppendValues(std::span<const uint64_t>(keys));
  return builder.Finish();
}

}  // namespace sluice::compact
