// The executor's internal face: type-erased items, the context a stage function runs in, the
// per-stage logic that the typed builder (pipeline.h) instantiates, and RunPipeline. Users build
// pipelines with pipeline.h and never touch these directly.
//
// Thread safety: StageLogic::Run may be called concurrently on different tasks of one stage
// unless the stage is sequential; Finish and Flush never overlap a Run of the same stage. A
// TaskContext belongs to one task and one thread.
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_budget.h"
#include "sluice/flow/byte_size.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice::flow_internal {

// A type-erased item value. Small values that move without throwing live inline, so the common
// case of small items costs no allocation per stage; larger ones live on the heap.
class ItemValue {
 public:
  template <typename T>
  static ItemValue Make(T value) {
    ItemValue v;
    v.ops_ = &kOps<T>;
    if constexpr (kInline<T>) {
      new (v.storage_) T(std::move(value));
    } else {
      *reinterpret_cast<T**>(v.storage_) = new T(std::move(value));
    }
    return v;
  }

  ItemValue() = default;
  ItemValue(ItemValue&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) ops_->move(storage_, other.storage_);
    other.ops_ = nullptr;
  }
  ItemValue& operator=(ItemValue&& other) noexcept {
    if (this != &other) {
      Reset();
      ops_ = other.ops_;
      if (ops_ != nullptr) ops_->move(storage_, other.storage_);
      other.ops_ = nullptr;
    }
    return *this;
  }
  ~ItemValue() { Reset(); }

  template <typename T>
  T& As() {
    if constexpr (kInline<T>) {
      return *std::launder(reinterpret_cast<T*>(storage_));
    } else {
      return **reinterpret_cast<T**>(storage_);
    }
  }
  // The item's Describe() (flow/byte_size.h), or "" when its type has none.
  std::string Describe() const { return ops_ != nullptr ? ops_->describe(storage_) : ""; }
  bool describable() const { return ops_ != nullptr && ops_->describable; }

 private:
  static constexpr size_t kInlineBytes = 24;
  template <typename T>
  static constexpr bool kInline =
      sizeof(T) <= kInlineBytes &&
      alignof(T) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<T>;

  struct Ops {
    void (*move)(unsigned char* to, unsigned char* from);  // leaves `from` destroyed
    void (*destroy)(unsigned char* storage);
    std::string (*describe)(const unsigned char* storage);
    bool describable;
  };

  template <typename T>
  static const T& Get(const unsigned char* storage) {
    if constexpr (kInline<T>) {
      return *std::launder(reinterpret_cast<const T*>(storage));
    } else {
      return **reinterpret_cast<T* const*>(storage);
    }
  }

  template <typename T>
  static constexpr Ops kOps = {
      [](unsigned char* to, unsigned char* from) {
        if constexpr (kInline<T>) {
          T* source = std::launder(reinterpret_cast<T*>(from));
          new (to) T(std::move(*source));
          source->~T();
        } else {
          std::memcpy(to, from, sizeof(T*));
        }
      },
      [](unsigned char* storage) {
        if constexpr (kInline<T>) {
          std::launder(reinterpret_cast<T*>(storage))->~T();
        } else {
          delete *reinterpret_cast<T**>(storage);
        }
      },
      [](const unsigned char* storage) { return DescribeItem(Get<T>(storage)); },
      HasDescribe<T> || DescribableVector<T>::value,
  };

  void Reset() {
    if (ops_ != nullptr) ops_->destroy(storage_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

// An item in flight: its value and its accounted size. Items move in groups (ItemGroup in
// scheduler_internal.h) that carry one Reservation paying for all of them.
struct Item {
  ItemValue value;
  int64_t bytes = 0;
};

template <typename T>
T& ValueOf(Item& item) {
  return item.value.As<T>();
}

class Scheduler;
struct Task;

class TaskContext {
 public:
  TaskContext(Scheduler* scheduler, Task* task) : scheduler_(scheduler), task_(task) {}

  // Queues an output of `bytes` accounted bytes. Blocks while the budget has no room for it; a
  // blocked task gives its core to other work until room appears.
  void Emit(ItemValue value, int64_t bytes);
  // Hands over the outputs queued so far; for producers about to block outside the pipeline.
  void Flush();
  // Brackets a wait for input from outside the pipeline, so metrics count it as idle.
  void SetAwaitingInput(bool awaiting);
  // Emits an output already paid for by `reservation` (which must be in this stage's account).
  void EmitReserved(ItemValue value, Reservation reservation);
  // Moves the bytes paying for an input into this stage's account (blocking like Emit) and
  // returns them,
  // for stages that hold items across tasks. If the pipeline stalls meanwhile, on_stall is asked
  // to emit what the stage holds; when it has nothing (returns false) the item passes over the
  // limit.
  Reservation Keep(Item& input, const std::function<bool()>& on_stall);
  // Destroys an input the stage is done with; its bytes then pay for the task's next outputs
  // instead of staying charged until the task ends (a Map's large output no longer needs room
  // for its input too). No lock: settled at the next hand-over.
  void Consumed(Item& input);
  // Names the item being worked on, for hung-task reports and errors.
  void SetCurrentItem(const std::string& description);
  // Counts bytes a sink wrote out of the pipeline (a file, an upload) as its stage's bytes out.
  void Wrote(int64_t bytes);
  const CancellationToken& cancel() const;

 private:
  Scheduler* scheduler_;
  Task* task_;
};

class StageLogic {
 public:
  virtual ~StageLogic() = default;
  // Processes one chunk of inputs (none for a source).
  virtual void Run(TaskContext& ctx, std::vector<Item>& inputs) = 0;
  // Whether Finish must run once after the last input (Batch emits its open bin, Reduce merges).
  virtual bool NeedsFinish() const { return false; }
  virtual void Finish(TaskContext&) {}
  // Whether the stage holds reserved items between tasks that Flush can emit early.
  virtual bool HoldsItems() const { return false; }
  virtual void Flush(TaskContext&) {}
  // Drops whatever the stage still holds (after a failed run), before the budget goes away.
  virtual void Discard() {}
};

enum class StageType { kSource, kMap, kFilter, kFlatMap, kBatch, kSink, kReduce };
const char* StageTypeName(StageType type);

struct StageSpec {
  std::string name;
  StageType type = StageType::kMap;
  StageOptions options;
  std::unique_ptr<StageLogic> logic;
  bool sequential = false;  // at most one task at a time (Batch)
};

// Runs the stages as one chain (stage i feeds stage i+1). Throws the first error, with the
// stage and item as context, after every thread has been joined.
RunReport RunPipeline(const std::string& name, std::vector<StageSpec>& stages,
                      const RunOptions& options);

}  // namespace sluice::flow_internal
