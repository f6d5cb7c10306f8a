#include "sluice/ops/value_lists.h"

#include <algorithm>
#include <cstring>

#include "sluice/base/large_pages.h"

namespace sluice {
namespace {

// The arena's first block; later ones are a quarter of the arena.
constexpr size_t kMinArenaBlock = 64 * 1024;
constexpr int64_t kFirstBlockValues = 4;
constexpr int64_t kMaxDoublingValues = 64;
constexpr int64_t kBlockHeader = 16;
// The most a block of Append takes beyond its values.
constexpr int64_t kMaxAppendBlock = kBlockHeader + kMaxDoublingValues * 8;

}  // namespace

ValueArena::~ValueArena() {
  for (auto [data, bytes] : blocks_) FreeLarge(data, bytes);
}

void* ValueArena::Allocate(size_t bytes, size_t align) {
  size_t pad = (align - reinterpret_cast<uintptr_t>(next_) % align) % align;
  if (static_cast<size_t>(end_ - next_) < pad + bytes) {
    // New blocks come page-aligned.
    const size_t size = std::max({bytes, kMinArenaBlock, total_ / 4});
    blocks_.emplace_back(static_cast<char*>(AllocateLarge(size)), size);
    next_ = blocks_.back().first;
    end_ = next_ + size;
    total_ += size;
    pad = 0;
  }
  next_ += pad;
  void* out = next_;
  next_ += bytes;
  return out;
}

int64_t ValueArena::GrowthBound(int64_t bytes) const {
  if (bytes <= 0 || bytes <= end_ - next_) return 0;
  return bytes + std::max<int64_t>(kMinArenaBlock, (static_cast<int64_t>(total_) + bytes) / 4);
}

int64_t ValueLists::count(uint32_t group) const { return Count(lists_[group]); }

void ValueLists::Lengthen(int64_t values) {
  if (values <= longest_) return;
  longest_ = values;
  scratch_.reserve(static_cast<size_t>(longest_));
}

int64_t ValueLists::ScratchGrowth(int64_t longest) const {
  return std::max<int64_t>(0, longest - static_cast<int64_t>(scratch_.capacity())) * 8;
}

void ValueLists::Grow(List& list, int64_t at_least) {
  // Doubling the list while it is short keeps the blocks few; past that, blocks of a fixed size
  // keep the slack of the last one small.
  const int64_t doubling = std::clamp(Count(list), kFirstBlockValues, kMaxDoublingValues);
  const int64_t capacity = std::max(at_least, doubling);
  auto* block = static_cast<Block*>(
      arena_.Allocate(sizeof(Block) + static_cast<size_t>(capacity) * sizeof(double)));
  block->next = nullptr;
  block->capacity = capacity;
  const int64_t count = Count(list);
  if (list.tail != nullptr) {
    // The tail's unused room is cut off, so a full block's count is its capacity.
    list.tail->capacity = list.next - list.tail->values();
    list.tail->next = block;
    Lengthen(count + capacity);
  } else {
    list.head = block;
  }
  list.full = count;
  list.tail = block;
  list.next = block->values();
  list.end = list.next + capacity;
}

void ValueLists::AppendList(uint32_t to, const ValueLists& other, uint32_t from) {
  const List& source = other.lists_[from];
  const int64_t count = Count(source);
  if (count == 0) return;
  List& list = lists_[to];
  if (list.end - list.next < count) Grow(list, count);
  for (const Block* b = source.head; b != nullptr; b = b->next) {
    const int64_t n = b == source.tail ? source.next - b->values() : b->capacity;
    std::memcpy(list.next, b->values(), static_cast<size_t>(n) * sizeof(double));
    list.next += n;
  }
  if (list.head != list.tail) Lengthen(Count(list));
}

std::span<double> ValueLists::Values(uint32_t group) {
  List& list = lists_[group];
  if (list.head == nullptr) return {};
  if (list.head == list.tail) {
    return {list.head->values(), static_cast<size_t>(list.next - list.head->values())};
  }
  scratch_.clear();
  for (const Block* b = list.head; b != nullptr; b = b->next) {
    const int64_t n = b == list.tail ? list.next - b->values() : b->capacity;
    scratch_.insert(scratch_.end(), b->values(), b->values() + n);
  }
  return scratch_;
}

int64_t ValueLists::ByteSize() const {
  return static_cast<int64_t>(lists_.capacity() * sizeof(List) +
                              scratch_.capacity() * sizeof(double)) +
         arena_.bytes();
}

int64_t ValueLists::AppendGrowthBound(int64_t values) const {
  // A list's first block holds 4 values, later ones at most 64 (and only for a list that
  // already fills its tail): new blocks of at most one of each per value.
  const int64_t lists = std::min(values, groups());
  const int64_t blocks = lists * kMaxAppendBlock + values * (kBlockHeader + 4 * 8);
  return arena_.GrowthBound(blocks) + ScratchGrowth(longest_ + values + kMaxDoublingValues);
}

int64_t ValueLists::AppendListGrowthBound(const ValueLists& other,
                                          std::span<const uint32_t> from) const {
  int64_t values = 0, longest = 0;
  for (uint32_t g : from) {
    const int64_t n = other.count(g);
    values += n;
    longest = std::max(longest, n);
  }
  const int64_t headers = static_cast<int64_t>(from.size()) * kBlockHeader;
  return arena_.GrowthBound(values * 8 + headers) + ScratchGrowth(longest_ + longest);
}

}  // namespace sluice
