// Allocator: where every table buffer's memory comes from. It hands out 64-byte aligned blocks
// whose capacity is rounded up to a multiple of 64 bytes (Arrow's recommended alignment and
// padding) and counts the live bytes it holds, per allocator and process-wide, so tests and the
// memory budget can see exactly what columnar data costs.
//
// An allocator may be attached to a MemoryBudget account: each block then holds a Reservation
// for its capacity for as long as it lives. With OverBudget::kAllow the reservation may overdraw
// the budget (the flow executor's liveness rule decides, and overdrafts are counted); with
// OverBudget::kFail an allocation that does not fit throws ResourceExhausted.
//
// Ownership: buffers point back at their allocator, so an allocator (and any budget it is attached
// to) must outlive every buffer it allocated. Default() lives for the whole process.
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace sluice {

class Buffer;
class MemoryAccount;
class MemoryBudget;

inline constexpr int64_t kBufferAlignment = 64;

struct AllocatorStats {
  int64_t live_bytes = 0;   // capacity of the blocks alive now
  int64_t peak_bytes = 0;   // high-water mark of live_bytes
  int64_t allocations = 0;  // blocks handed out so far
};

class Allocator {
 public:
  enum class OverBudget { kAllow, kFail };

  Allocator() = default;
  Allocator(MemoryBudget* budget, MemoryAccount* account, OverBudget policy = OverBudget::kAllow);
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // The process-wide allocator, attached to no budget.
  static Allocator* Default();

  // A writable buffer of size 0 and capacity >= `capacity` (rounded up to 64). Throws
  // ResourceExhausted when the system or (with kFail) the budget refuses.
  std::unique_ptr<Buffer> Allocate(int64_t capacity);

  AllocatorStats stats() const;

 private:
  friend class Buffer;
  void Free(uint8_t* data, int64_t capacity);

  MemoryBudget* budget_ = nullptr;
  MemoryAccount* account_ = nullptr;
  OverBudget policy_ = OverBudget::kAllow;
  std::atomic<int64_t> live_bytes_{0};
  std::atomic<int64_t> peak_bytes_{0};
  std::atomic<int64_t> allocations_{0};
};

// The sum over every allocator in the process.
AllocatorStats ProcessAllocatorStats();

}  // namespace sluice
