#include "sluice/ops/sort/run_merger.h"

#include <algorithm>
#include <string_view>

#include "sluice/base/check.h"
#include "sluice/ops/sort/sort_key_encoder.h"

namespace sluice {
namespace {

// The next row of one run. In memory: order[next] of the run's batches, which sit in the
// merge's sources from slot `base` on. Streamed: row `next` of the current batch.
struct Cursor {
  const SortedRows* rows = nullptr;
  std::vector<SortKeyColumn> keys;  // per batch of an in-memory run; one for a streamed run
  uint32_t base = 0;
  RunSource source;
  std::optional<RecordBatch> batch;
  int64_t next = 0;
  int64_t end = 0;
  bool done = true;
  // The current key's 8 bytes after those every key shares, as a big-endian number
  // (zero-padded), compared first.
  uint64_t prefix = 0;
  size_t skip = 0;

  void SetPrefix() { prefix = SortKeyPrefix(key(), skip); }

  std::string_view key() const {
    if (rows != nullptr) {
      const RowRef& ref = rows->order[static_cast<size_t>(next)];
      return keys[ref.source].key(ref.row);
    }
    return keys[0].key(next);
  }
  RowRef ref() const {
    if (rows != nullptr) {
      const RowRef& r = rows->order[static_cast<size_t>(next)];
      return RowRef{base + r.source, r.row};
    }
    return RowRef{base, static_cast<uint32_t>(next)};
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
    if (x.done) return false;
    if (y.done) return true;
    if (x.prefix != y.prefix) return x.prefix < y.prefix;
    const int c = CompareSortKeys(x.key(), y.key());
    return c != 0 ? c < 0 : a < b;
  }

  std::vector<Cursor>& cursors_;
  size_t k_;
  std::vector<size_t> losers_;  // internal nodes 1..k-1
  size_t winner_ = 0;
};

}  // namespace

int64_t MergeRuns(const std::shared_ptr<const Schema>& keyed_schema,
                  const std::shared_ptr<const Schema>& out_schema,
                  const std::vector<SortedRows>& in_memory, std::vector<RunSource> streamed,
                  int64_t batch_rows, int64_t limit, const CancellationToken& cancel,
                  const std::function<void(RecordBatch)>& emit, size_t shared_key_bytes) {
  SLUICE_CHECK_GT(batch_rows, 0);
  // No runs (an empty input, or one a row filter emptied): nothing to merge, and the loser tree
  // needs at least one cursor.
  if (in_memory.empty() && streamed.empty()) return 0;
  const int key_column = keyed_schema->num_fields() - 1;
  // The batches output rows point into: the in-memory runs' first (they stay), then each
  // streamed run's current batch and the ones it finished since the last output batch.
  std::vector<RecordBatch> sources;
  std::vector<Cursor> cursors(in_memory.size() + streamed.size());
  for (Cursor& c : cursors) c.skip = shared_key_bytes;
  for (size_t i = 0; i < in_memory.size(); ++i) {
    Cursor& c = cursors[i];
    c.rows = &in_memory[i];
    c.base = static_cast<uint32_t>(sources.size());
    for (const RecordBatch& b : in_memory[i].batches) {
      sources.push_back(b);
      c.keys.emplace_back(b.column(key_column));
    }
    c.end = static_cast<int64_t>(in_memory[i].order.size());
    c.done = c.end == 0;
    if (!c.done) c.SetPrefix();
  }
  const size_t fixed = sources.size();
  auto load = [&](Cursor& c) {
    c.batch.reset();
    c.done = true;
    while (std::optional<RecordBatch> next = c.source()) {
      if (next->num_rows() == 0) continue;
      c.batch = std::move(next);
      c.keys.assign(1, SortKeyColumn(c.batch->column(key_column)));
      c.next = 0;
      c.end = c.batch->num_rows();
      c.base = static_cast<uint32_t>(sources.size());
      sources.push_back(*c.batch);
      c.done = false;
      c.SetPrefix();
      return;
    }
  };
  for (size_t i = 0; i < streamed.size(); ++i) {
    Cursor& c = cursors[in_memory.size() + i];
    c.source = std::move(streamed[i]);
    load(c);
  }
  std::vector<RowRef> refs;
  auto flush = [&] {
    if (refs.empty()) return;
    emit(GatherRows(out_schema, sources, refs));
    refs.clear();
    sources.erase(sources.begin() + static_cast<std::ptrdiff_t>(fixed), sources.end());
    for (size_t i = in_memory.size(); i < cursors.size(); ++i) {
      Cursor& c = cursors[i];
      if (c.done) continue;
      c.base = static_cast<uint32_t>(sources.size());
      sources.push_back(*c.batch);
    }
    cancel.ThrowIfCancelled();
  };
  LoserTree tree(cursors);
  int64_t emitted = 0;
  while (limit < 0 || emitted < limit) {
    Cursor& c = cursors[tree.winner()];
    if (c.done) break;
    refs.push_back(c.ref());
    ++emitted;
    if (++c.next == c.end) {
      if (c.rows != nullptr) {
        c.done = true;
      } else {
        load(c);
      }
    } else {
      c.SetPrefix();
    }
    tree.Update();
    if (static_cast<int64_t>(refs.size()) == batch_rows) flush();
  }
  flush();
  return emitted;
}

}  // namespace sluice
