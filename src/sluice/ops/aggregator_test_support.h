// Test helper for Aggregator implementations: an Update checked against the state's own
// UpdateGrowthBound, the contract the memory budget relies on.
//
// Thread safety: as the Aggregator (one thread).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>

#include "sluice/ops/aggregate.h"

namespace sluice::testing {

// Adds row r of `input` to group groups[r] at stream position rows[r]; fails the test when the
// state grew past the bound it declared for these rows.
inline void UpdateWithinBound(Aggregator& state, const Array& input,
                              std::span<const uint32_t> groups, const int64_t* rows) {
  const Array* inputs[] = {&input};
  const int64_t before = state.ByteSize();
  const int64_t bound = state.UpdateGrowthBound(inputs);
  state.Update(inputs, groups, RowPositions(rows));
  EXPECT_LE(state.ByteSize() - before, bound);
}

}  // namespace sluice::testing
