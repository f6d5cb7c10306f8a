#include "sluice/ops/join/join_gather.h"

#include <algorithm>
#include <vector>

#include "sluice/base/check.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/take.h"

namespace sluice {

Array TakeOrNull(const Array& array, std::span<const int64_t> indices) {
  const auto length = static_cast<int64_t>(indices.size());
  const auto missing = std::count(indices.begin(), indices.end(), int64_t{-1});
  if (missing == 0) return Take(array, indices);
  if (missing == length || array.length() == 0) {
    SLUICE_CHECK_EQ(missing, length);
    auto builder = MakeBuilder(array.type());
    builder->AppendNulls(length);
    return builder->Finish();
  }
  // Take row 0 in place of each missing row, then clear those rows' validity bits.
  std::vector<int64_t> safe(indices.begin(), indices.end());
  for (int64_t& i : safe) i = std::max<int64_t>(i, 0);
  Array taken = Take(array, safe);
  BitmapBuilder bits(Allocator::Default());
  bits.Reserve(length);
  for (int64_t r = 0; r < length; ++r) {
    bits.Append(indices[static_cast<size_t>(r)] >= 0 && taken.IsValid(r));
  }
  std::vector<std::shared_ptr<const Buffer>> buffers = taken.buffers();
  buffers[0] = bits.Finish();
  if (taken.type().is_nested()) {
    return Array::MakeNested(taken.type(), length, std::move(buffers), taken.children(),
                             kUnknownNullCount, taken.offset());
  }
  return Array::Make(taken.type(), length, std::move(buffers), kUnknownNullCount, taken.offset());
}

Array CoalesceTake(const Array& left, std::span<const int64_t> left_indices, const Array& right,
                   std::span<const int64_t> right_indices) {
  SLUICE_CHECK_EQ(left_indices.size(), right_indices.size());
  const Array l = TakeOrNull(left, left_indices);
  if (l.null_count() == 0) return l;
  const Array r = TakeOrNull(right, right_indices);
  const int64_t n = l.length();
  // Pick from the two gathered arrays laid end to end.
  std::vector<int64_t> pick(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) pick[static_cast<size_t>(i)] = l.IsValid(i) ? i : n + i;
  const Array both[2] = {l, r};
  return Take(ConcatArrays(both), pick);
}

}  // namespace sluice
