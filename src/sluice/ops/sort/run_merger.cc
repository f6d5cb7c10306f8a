#include "sluice/ops/sort/run_merger.h"

#include <string_view>

#include "sluice/base/check.h"
#include "sluice/ops/sort/row_gather.h"

namespace sluice {
namespace {

struct Cursor {
  RunSource source;
  std::optional<RecordBatch> batch;
  const int32_t* offsets = nullptr;
  const uint8_t* data = nullptr;
  int64_t row = 0;
  int64_t rows = 0;
  uint32_t slot = 0;  // index of batch in the pending sources

  bool done() const { return !batch.has_value(); }
  std::string_view key() const {
    return std::string_view(reinterpret_cast<const char*>(data) + offsets[row],
                            static_cast<size_t>(offsets[row + 1] - offsets[row]));
  }
};

class LoserTree {
 public:
  explicit LoserTree(std::vector<Cursor>& cursors)
      : cursors_(cursors), k_(cursors.size()), losers_(k_, 0) {
    winner_ = k_ == 0 ? 0 : Init(1);
  }
  size_t winner() const { return winner_; }
  // Replays the winner's path after its cursor moved.
  void Update() {
    size_t w = winner_;
    for (size_t node = (w + k_) / 2; node >= 1; node /= 2) {
      if (Less(losers_[node], w)) std::swap(losers_[node], w);
    }
    winner_ = w;
  }

 private:
  size_t Init(size_t node) {
    if (node >= k_) return node - k_;
    const size_t left = Init(2 * node);
    const size_t right = Init(2 * node + 1);
    if (Less(right, left)) {
      losers_[node] = left;
      return right;
    }
    losers_[node] = right;
    return left;
  }
  bool Less(size_t a, size_t b) const {
    const Cursor& x = cursors_[a];
    const Cursor& y = cursors_[b];
    if (x.done()) return false;
    if (y.done()) return true;
    const int c = x.key().compare(y.key());
    return c != 0 ? c < 0 : a < b;
  }

  std::vector<Cursor>& cursors_;
  size_t k_;
  std::vector<size_t> losers_;  // internal nodes 1..k-1
  size_t winner_ = 0;
};

}  // namespace

int64_t MergeRuns(const std::shared_ptr<const Schema>& keyed_schema, std::vector<RunSource> sources,
                  int64_t batch_rows, int64_t limit, const CancellationToken& cancel,
                  const std::function<void(RecordBatch)>& emit) {
  SLUICE_CHECK_GT(batch_rows, 0);
  const int key_column = keyed_schema->num_fields() - 1;
  // Batches that rows waiting in `refs` point into; a cursor's current batch is always here.
  std::vector<RecordBatch> pending;
  std::vector<RowRef> refs;
  std::vector<Cursor> cursors(sources.size());
  auto load = [&](Cursor& c) {
    c.batch.reset();
    while (std::optional<RecordBatch> next = c.source()) {
      if (next->num_rows() == 0) continue;
      c.batch = std::move(next);
      const Array& keys = c.batch->column(key_column);
      c.offsets = keys.raw_offsets() + keys.offset();
      c.data = keys.raw_data();
      c.row = 0;
      c.rows = keys.length();
      c.slot = static_cast<uint32_t>(pending.size());
      pending.push_back(*c.batch);
      return;
    }
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    cursors[i].source = std::move(sources[i]);
    load(cursors[i]);
  }
  auto flush = [&] {
    if (refs.empty()) return;
    emit(GatherRows(keyed_schema, pending, refs));
    refs.clear();
    pending.clear();
    for (Cursor& c : cursors) {
      if (c.done()) continue;
      c.slot = static_cast<uint32_t>(pending.size());
      pending.push_back(*c.batch);
    }
    cancel.ThrowIfCancelled();
  };
  LoserTree tree(cursors);
  int64_t emitted = 0;
  while (limit < 0 || emitted < limit) {
    Cursor& c = cursors[tree.winner()];
    if (c.done()) break;
    refs.push_back(RowRef{c.slot, static_cast<uint32_t>(c.row)});
    ++emitted;
    if (++c.row == c.rows) load(c);
    tree.Update();
    if (static_cast<int64_t>(refs.size()) == batch_rows) flush();
  }
  flush();
  return emitted;
}

}  // namespace sluice
