// The executor's internal face: type-erased items, the context a stage function runs in, the
// per-stage logic that the typed builder (pipeline.h) instantiates, and RunPipeline. Users build
// pipelines with pipeline.h and never touch these directly.
//
// Thread safety: StageLogic::Run may be called concurrently on different tasks of one stage
// unless the stage is sequential; Finish and Flush never overlap a Run of the same stage. A
// TaskContext belongs to one task and one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/base/memory_budget.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"

namespace sluice::flow_internal {

class ItemValue {
 public:
  virtual ~ItemValue() = default;
};

template <typename T>
class TypedItemValue final : public ItemValue {
 public:
  explicit TypedItemValue(T v) : value(std::move(v)) {}
  T value;
};

// An item in flight: its value, its accounted size and the reservation that pays for it.
struct Item {
  std::unique_ptr<ItemValue> value;
  int64_t bytes = 0;
  Reservation reservation;
  std::string description;  // "" unless the item type has Describe()
};

template <typename T>
T& ValueOf(Item& item) {
  return static_cast<TypedItemValue<T>*>(item.value.get())->value;
}

class Scheduler;
struct Task;

class TaskContext {
 public:
  TaskContext(Scheduler* scheduler, Task* task) : scheduler_(scheduler), task_(task) {}

  // Queues an output of `bytes` accounted bytes. Blocks while the budget has no room for it; a
  // blocked task gives its core to other work until room appears.
  void Emit(std::unique_ptr<ItemValue> value, int64_t bytes, std::string description);
  // Emits an output already paid for by `reservation` (which must be in this stage's account).
  void EmitReserved(std::unique_ptr<ItemValue> value, Reservation reservation,
                    std::string description);
  // Moves an input's reservation into this stage's account (blocking like Emit) and returns it,
  // for stages that hold items across tasks. If the pipeline stalls meanwhile, on_stall is asked
  // to emit what the stage holds; when it has nothing (returns false) the item passes over the
  // limit.
  Reservation Keep(Item& input, const std::function<bool()>& on_stall);
  // Names the item being worked on, for hung-task reports and errors.
  void SetCurrentItem(const std::string& description);
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
