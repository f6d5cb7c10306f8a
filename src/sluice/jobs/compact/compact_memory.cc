#include "sluice/jobs/compact/compact_memory.h"

#include <algorithm>

namespace sluice::compact {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
// Decompressed and recompressed copies of a page, and the page that ends an output piece
// (writers keep pages near 1 MiB).
constexpr int64_t kPageBuffers = 3 * kMiB;

}  // namespace

CompactMemoryShares SplitCompactMemory(int64_t budget, bool remote_inputs) {
  CompactMemoryShares shares;
  shares.pipeline = std::clamp<int64_t>(budget / 8, kMiB, 64 * kMiB);
  shares.columns = std::max<int64_t>(budget / 8 * (remote_inputs ? 2 : 5), kMiB);
  shares.whole_inputs = remote_inputs ? std::max<int64_t>(budget / 8 * 3, kMiB) : 0;
  return shares;
}

int64_t ColumnWorkBytes(int64_t input_bytes, int64_t dictionary_bytes,
                        int64_t max_dictionary_bytes) {
  int64_t bytes = input_bytes + kOutputPieceBytes + kPageBuffers;
  // Each input's dictionary decoded (at least its stored size again) and the merged dictionary
  // with its index, up to the size where it is dropped.
  if (dictionary_bytes > 0) bytes += 2 * dictionary_bytes + 2 * max_dictionary_bytes;
  return bytes;
}

}  // namespace sluice::compact
