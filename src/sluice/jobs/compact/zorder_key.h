// ZOrderKey: the clustering key of `--zorder-by a,b[,c]`. Each row's value in each column becomes
// its rank among quantile boundaries of that column, drawn from a sample of the partition's
// values; the ranks (64 / columns bits each, at most 32) are bit-interleaved, most significant bit
// first, column by column, into one unsigned 64-bit key. Sorting by the key clusters rows in all
// the columns at once: a range of keys is a box that is narrow in every column, so row groups and
// pages get narrow min/max ranges in each of them.
//
// Why sampled quantiles and not exact ranks: the exact rank of every value needs the whole
// partition sorted once per column before the real sort, which would cost a second external sort
// per column. Boundaries from a sample (a few thousand values, spread over the partition's row
// groups) fit any budget, and a rank's resolution only needs to be finer than a page. Values are
// ranked by their normalized sort keys (ops/sort/sort_key_encoder.h), so every sortable type works
// the same way, and nulls rank last. Ties (a value equal to a boundary) go to the higher rank, so
// a heavy value owns its bucket.
//
// Thread safety: immutable after construction; Keys may run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/ops/sort/sort_key_encoder.h"
#include "sluice/table/array.h"
#include "sluice/table/record_batch.h"

namespace sluice::compact {

class ZOrderKey {
 public:
  // The most boundaries kept per column (a rank then takes 12 bits of resolution).
  static constexpr int kMaxBoundaries = 4095;

  // `columns` name fields of `schema` (NotFound listing the schema's columns otherwise;
  // InvalidArgument for fewer than two or more than eight, or a nested one).
  ZOrderKey(const Schema& schema, const std::vector<std::string>& columns);

  // The z columns alone, in the order given: what AddSample takes.
  const std::shared_ptr<const Schema>& sample_schema() const { return sample_schema_; }
  // Samples every `stride`-th row of `batch` (of sample_schema()), starting at its first.
  void AddSample(const RecordBatch& batch, int64_t stride);
  // Draws the boundaries from the sample (which it frees). Call once, before Keys.
  void FinishSample();

  // The key of each row of `batch` (of the schema given to the constructor), as a non-null
  // uint64 array.
  Array Keys(const RecordBatch& batch) const;

  int bits_per_column() const { return bits_; }
  // Column j's boundaries (normalized keys, ascending, distinct).
  const std::vector<std::string>& boundaries(size_t j) const { return boundaries_[j]; }

 private:
  std::vector<int> columns_;  // in the constructor's schema
  std::shared_ptr<const Schema> sample_schema_;
  std::vector<SortKeyEncoder> encoders_;  // column j of sample_schema_ alone
  std::vector<std::vector<std::string>> sampled_;
  std::vector<std::vector<std::string>> boundaries_;
  int bits_ = 32;
};

}  // namespace sluice::compact
