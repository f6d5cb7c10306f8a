// ValueLists: one list of doubles per group (median's state), in blocks bump-allocated from big
// arena blocks and linked, never copied: a list that grew by doubling a std::vector left up to
// three times its values behind in copies (each a fresh, zeroed page of memory), and the zeroing
// was most of median's time. A list's blocks double with its length up to 64 values, so at most
// one partly filled block per list is slack. Merged values go to one block of their exact count.
// A list of one block is sorted in place; a longer one is gathered into a scratch area kept as
// large as the longest list (grown, and charged, as lists grow).
//
// Thread safety: one thread at a time; a const ValueLists may be read (merged from) by several.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace sluice {

// Bump allocation from big blocks (median's lists, first()'s strings); nothing is freed before
// the arena goes.
class ValueArena {
 public:
  ValueArena() = default;
  ValueArena(const ValueArena&) = delete;
  ValueArena& operator=(const ValueArena&) = delete;
  ~ValueArena();
  // Aligned to `align` (a power of two); 1 packs bytes (strings) back to back.
  void* Allocate(size_t bytes, size_t align = 16);
  int64_t bytes() const { return static_cast<int64_t>(total_); }
  // At most the bytes new blocks take while `bytes` more are allocated.
  int64_t GrowthBound(int64_t bytes) const;

 private:
  std::vector<std::pair<char*, size_t>> blocks_;
  char* next_ = nullptr;
  char* end_ = nullptr;
  size_t total_ = 0;
};

class ValueLists {
 public:
  void Resize(int64_t groups) { lists_.resize(static_cast<size_t>(groups)); }
  int64_t groups() const { return static_cast<int64_t>(lists_.size()); }

  void Append(uint32_t group, double value) {
    List& list = lists_[group];
    if (list.next == list.end) Grow(list, 1);
    *list.next++ = value;
  }
  // Appends other's list `from` to this one's list `to`.
  void AppendList(uint32_t to, const ValueLists& other, uint32_t from);
  int64_t count(uint32_t group) const;
  // The group's values, contiguous, in an order the caller may change (nth_element); valid
  // until the next call.
  std::span<double> Values(uint32_t group);

  int64_t ByteSize() const;
  // Bytes Append of `values` values can add at most.
  int64_t AppendGrowthBound(int64_t values) const;
  // Bytes AppendList of other's lists `from` can add at most.
  int64_t AppendListGrowthBound(const ValueLists& other, std::span<const uint32_t> from) const;

 private:
  struct Block {
    Block* next;
    int64_t capacity;
    double* values() { return reinterpret_cast<double*>(this + 1); }
    const double* values() const { return reinterpret_cast<const double*>(this + 1); }
  };
  struct List {
    Block* head = nullptr;
    Block* tail = nullptr;
    double* next = nullptr;  // free room in the tail block
    double* end = nullptr;
    int64_t full = 0;  // values in the blocks before the tail
  };

  // Links a block of at least `at_least` values (more while the list is short).
  void Grow(List& list, int64_t at_least);
  static int64_t Count(const List& list) {
    return list.tail == nullptr ? 0 : list.full + (list.next - list.tail->values());
  }
  // Keeps the scratch as long as the longest list may become.
  void Lengthen(int64_t values);
  int64_t ScratchGrowth(int64_t longest) const;

  ValueArena arena_;  // before lists_: outlives their blocks
  std::vector<List> lists_;
  std::vector<double> scratch_;
  int64_t longest_ = 0;
};

}  // namespace sluice
