#include "sluice/ops/nested_first_last.h"

#include <unordered_map>
#include <vector>

#include "sluice/ops/take_from_many.h"
#include "sluice/table/builder.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

constexpr int64_t kMinCompactRows = 4096;

class NestedFirstLastAggregator final : public Aggregator {
 public:
  NestedFirstLastAggregator(DataType type, bool last) : type_(std::move(type)), last_(last) {}
  DataType output_type() const override { return type_; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<NestedFirstLastAggregator>(type_, last_);
  }
  void Resize(int64_t groups) override {
    rows_.resize(static_cast<size_t>(groups), -1);
    refs_.resize(static_cast<size_t>(groups));
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions positions) override {
    // Each group's winner in this batch is marked pending (its batch row), then taken at once.
    const auto pending = static_cast<uint32_t>(chunks_.size());
    for (size_t r = 0; r < groups.size(); ++r) {
      if (Takes(groups[r], positions[static_cast<int64_t>(r)])) {
        refs_[groups[r]] = {pending, static_cast<int64_t>(r)};
      }
    }
    std::vector<int64_t> taken;
    for (size_t r = 0; r < groups.size(); ++r) {
      SourceRow& ref = refs_[groups[r]];
      if (ref.source != pending || ref.row != static_cast<int64_t>(r)) continue;
      ref.row = static_cast<int64_t>(taken.size());
      taken.push_back(static_cast<int64_t>(r));
    }
    if (taken.empty()) return;
    AddChunk(Take(*inputs[0], taken));
    CompactIfSparse();
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<NestedFirstLastAggregator>(other);
    std::unordered_map<uint32_t, uint32_t> shared;  // other's chunk -> ours
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.rows_[g] < 0 || !Takes(to[i], o.rows_[g])) continue;
      const SourceRow& theirs = o.refs_[g];
      auto [at, added] = shared.try_emplace(theirs.source, static_cast<uint32_t>(chunks_.size()));
      if (added) AddChunk(o.chunks_[theirs.source]);
      refs_[to[i]] = {at->second, theirs.row};
    }
    CompactIfSparse();
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(rows_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override { return Gather(begin, end); }
  int64_t ByteSize() const override {
    return held_bytes_ + static_cast<int64_t>(rows_.capacity() * sizeof(int64_t) +
                                              refs_.capacity() * sizeof(SourceRow));
  }
  // The batch's winners taken, and a compaction's copy of what is held.
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    return sluice::ByteSize(*inputs[0]) + held_bytes_;
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t>) const override {
    return SameAggregator<NestedFirstLastAggregator>(other).held_bytes_ + held_bytes_;
  }

 private:
  // Whether a row at stream position `row` replaces group g's value; records the position.
  bool Takes(uint32_t g, int64_t row) {
    if (rows_[g] >= 0 && (last_ ? row <= rows_[g] : row >= rows_[g])) return false;
    rows_[g] = row;
    return true;
  }

  void AddChunk(Array chunk) {
    held_rows_ += chunk.length();
    held_bytes_ += sluice::ByteSize(chunk);
    chunks_.push_back(std::move(chunk));
  }

  void CompactIfSparse() {
    if (held_rows_ > kMinCompactRows && held_rows_ > 2 * static_cast<int64_t>(rows_.size())) {
      Compact();
    }
  }

  // The values of groups [begin, end), null for a group without rows.
  Array Gather(int64_t begin, int64_t end) const {
    std::vector<const Array*> arrays;
    for (const Array& chunk : chunks_) arrays.push_back(&chunk);
    std::unique_ptr<ArrayBuilder> null = MakeBuilder(type_);
    null->AppendNull();
    const Array null_value = null->Finish();
    arrays.push_back(&null_value);
    const SourceRow none{static_cast<uint32_t>(chunks_.size()), 0};
    std::vector<SourceRow> rows;
    rows.reserve(static_cast<size_t>(end - begin));
    for (auto g = static_cast<size_t>(begin); g < static_cast<size_t>(end); ++g) {
      rows.push_back(rows_[g] >= 0 ? refs_[g] : none);
    }
    return TakeFromMany(arrays, rows);
  }

  // Gathers every group's value into one chunk, dropping the values no group keeps.
  void Compact() {
    Array live = Gather(0, static_cast<int64_t>(rows_.size()));
    for (size_t g = 0; g < rows_.size(); ++g) refs_[g] = {0, static_cast<int64_t>(g)};
    chunks_.clear();
    held_rows_ = 0;
    held_bytes_ = 0;
    AddChunk(std::move(live));
  }

  DataType type_;
  bool last_;
  std::vector<int64_t> rows_;    // per group: the stream position kept, -1 before any
  std::vector<SourceRow> refs_;  // per group: where its value sits among chunks_
  std::vector<Array> chunks_;
  int64_t held_rows_ = 0;
  int64_t held_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> MakeNestedFirstLast(const DataType& type, bool last) {
  return std::make_unique<NestedFirstLastAggregator>(type, last);
}

}  // namespace sluice
