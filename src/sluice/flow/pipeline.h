// Pipeline: the streaming executor's public face. A pipeline is a chain of named stages built
// with a typed builder and run once inside one memory budget:
//
//   sluice::Pipeline p("compact");
//   p.Source("partitions", ListPartitions)                       // void(Emitter<Partition>&)
//    .FlatMap("files", ListFiles, {.kind = sluice::kIo})          // void(Partition,
//    Emitter<File>&) .Map("footer", ReadFooter, {.kind = sluice::kIo})            // Footer(File)
//    .Batch("bin", sluice::BatchBy::Bytes(256_MiB))               // std::vector<Footer>
//    .Map("concat", ReadAndConcat)                                // RowGroup(std::vector<Footer>)
//    .Sink("write", WriteFile, {.kind = sluice::kIo});            // int64_t(RowGroup)
//   sluice::RunReport report = p.Run({.memory_budget = 4_GiB});
//
// Items report their size with ByteSize (flow/byte_size.h). A sink emits no items; when its
// function returns an int64_t, the bytes it wrote (to a file, an upload), those are its bytes out.
// Stage functions may throw sluice::Error; the first error cancels the run and Run rethrows it with
// the stage and item.
//
// Thread safety: build and Run from one thread. Stage functions of one stage run concurrently
// (except Source, Batch, and sinks of ordered runs), so they must be safe to call concurrently.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/flow/byte_size.h"
#include "sluice/flow/options.h"
#include "sluice/flow/run_report.h"
#include "sluice/flow/stage_internal.h"

namespace sluice {

// Hands a Source's or FlatMap's outputs to the next stage, one at a time. Emit blocks while the
// memory budget has no room (the task pauses and its core goes to other work).
template <typename T>
class Emitter {
 public:
  explicit Emitter(flow_internal::TaskContext& ctx) : ctx_(&ctx) {}

  void Emit(T value) {
    const int64_t bytes = flow_internal::ItemBytes(value);
    ctx_->Emit(flow_internal::ItemValue::Make<T>(std::move(value)), bytes);
  }
  void operator()(T value) { Emit(std::move(value)); }
  // Outputs are handed over in small groups; Flush hands over what is queued now, before the
  // caller blocks on something outside the pipeline (a queue, a network wait).
  void Flush() { ctx_->Flush(); }
  // Runs wait() (a blocking read from outside the pipeline: a queue, a socket) after handing
  // over the queued outputs; the stage shows as idle, not busy, meanwhile, and the task does not
  // count as making progress, so a budget stall among the other tasks is still broken.
  template <typename F>
  auto AwaitInput(F wait) {
    Flush();
    ctx_->SetAwaitingInput(true);
    struct Done {
      flow_internal::TaskContext* ctx;
      ~Done() { ctx->SetAwaitingInput(false); }
    } done{ctx_};
    return wait();
  }
  // Cancelled when the run fails elsewhere or is interrupted; long loops should check it.
  const CancellationToken& cancel() const { return ctx_->cancel(); }

 private:
  flow_internal::TaskContext* ctx_;
};

// How Batch groups items: a bin closes when it holds max_items items or max_bytes bytes
// (ByteSize of its items), whichever comes first; an item that would push a bin past max_bytes
// starts the next bin instead.
struct BatchBy {
  int64_t max_items = 0;
  int64_t max_bytes = 0;
  static BatchBy Count(int64_t items) { return {.max_items = items}; }
  static BatchBy Bytes(int64_t bytes) { return {.max_bytes = bytes}; }
};

namespace flow_internal {
template <typename T, typename S, typename Acc, typename MergeFn>
class ReduceLogic;
}

// The merged state of a Reduce stage, available after Run.
template <typename S>
class ReduceResult {
 public:
  S& value() {
    if (!state_->value) throw InvalidArgument("the reduce result is read before the pipeline ran");
    return *state_->value;
  }

 private:
  template <typename, typename, typename, typename>
  friend class flow_internal::ReduceLogic;
  struct State {
    std::optional<S> value;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

namespace flow_internal {

template <typename F>
struct CallTraits : CallTraits<decltype(&F::operator())> {};
template <typename C, typename R, typename... A>
struct CallTraits<R (C::*)(A...) const> {
  using Args = std::tuple<A...>;
};
template <typename C, typename R, typename... A>
struct CallTraits<R (C::*)(A...)> {
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallTraits<R (*)(A...)> {
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallTraits<R(A...)> {
  using Args = std::tuple<A...>;
};

template <typename E>
struct EmitterValue;
template <typename U>
struct EmitterValue<Emitter<U>&> {
  using type = U;
};

// The U of the Emitter<U>& that F takes as argument I, unless given explicitly.
template <typename Given, typename F, size_t I>
struct Emitted {
  using type = Given;
};
template <typename F, size_t I>
struct Emitted<void, F, I> {
  using type = typename EmitterValue<
      std::tuple_element_t<I, typename CallTraits<std::decay_t<F>>::Args>>::type;
};

// Names the item being processed when a chunk holds several, so errors and hung reports can.
inline void NoteItem(TaskContext& ctx, const std::vector<Item>& inputs, const Item& item) {
  if (inputs.size() > 1 && item.value.describable()) ctx.SetCurrentItem(item.value.Describe());
}

template <typename T, typename F>
class SourceLogic final : public StageLogic {
 public:
  explicit SourceLogic(F fn) : fn_(std::move(fn)) {}
  void Run(TaskContext& ctx, std::vector<Item>&) override {
    Emitter<T> out(ctx);
    fn_(out);
  }

 private:
  F fn_;
};

template <typename T, typename U, typename F>
class MapLogic final : public StageLogic {
 public:
  explicit MapLogic(F fn) : fn_(std::move(fn)) {}
  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    Emitter<U> out(ctx);
    for (Item& in : inputs) {
      NoteItem(ctx, inputs, in);
      // A statement of its own, so a by-value parameter is destroyed before the output is
      // emitted (GCC keeps it to the end of the full expression otherwise).
      U result = fn_(std::move(ValueOf<T>(in)));
      ctx.Consumed(in);
      out.Emit(std::move(result));
    }
  }

 private:
  F fn_;
};

template <typename T, typename F>
class FilterLogic final : public StageLogic {
 public:
  explicit FilterLogic(F fn) : fn_(std::move(fn)) {}
  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    Emitter<T> out(ctx);
    for (Item& in : inputs) {
      NoteItem(ctx, inputs, in);
      if (fn_(std::as_const(ValueOf<T>(in)))) out.Emit(std::move(ValueOf<T>(in)));
    }
  }

 private:
  F fn_;
};

template <typename T, typename U, typename F>
class FlatMapLogic final : public StageLogic {
 public:
  explicit FlatMapLogic(F fn) : fn_(std::move(fn)) {}
  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    Emitter<U> out(ctx);
    for (Item& in : inputs) {
      NoteItem(ctx, inputs, in);
      fn_(std::move(ValueOf<T>(in)), out);
      ctx.Consumed(in);
    }
  }

 private:
  F fn_;
};

template <typename T, typename F>
class SinkLogic final : public StageLogic {
 public:
  explicit SinkLogic(F fn) : fn_(std::move(fn)) {}
  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    for (Item& in : inputs) {
      NoteItem(ctx, inputs, in);
      if constexpr (std::is_same_v<std::invoke_result_t<F&, T&&>, int64_t>) {
        ctx.Wrote(fn_(std::move(ValueOf<T>(in))));
      } else {
        fn_(std::move(ValueOf<T>(in)));
      }
    }
  }

 private:
  F fn_;
};

// Bins are built by one task at a time (the stage is sequential), and their items stay paid for
// in this stage's account until the bin is emitted.
template <typename T>
class BatchLogic final : public StageLogic {
 public:
  using CloseBefore = std::function<bool(const std::vector<T>& bin, const T& next)>;
  BatchLogic(BatchBy by, CloseBefore close_before)
      : by_(by), close_before_(std::move(close_before)) {}

  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    for (Item& in : inputs) {
      Reservation paid = ctx.Keep(in, [&] { return EmitBin(ctx); });
      T& value = ValueOf<T>(in);
      const int64_t bytes = ByteSize(value);
      if (!bin_.empty() && ShouldCloseBefore(value, bytes)) EmitBin(ctx);
      bin_.push_back(std::move(value));
      bin_bytes_ += bytes;
      paid_.Merge(std::move(paid));
      if ((by_.max_items > 0 && static_cast<int64_t>(bin_.size()) >= by_.max_items) ||
          (by_.max_bytes > 0 && bin_bytes_ >= by_.max_bytes)) {
        EmitBin(ctx);
      }
    }
  }
  bool NeedsFinish() const override { return true; }
  void Finish(TaskContext& ctx) override { EmitBin(ctx); }
  bool HoldsItems() const override { return !bin_.empty(); }
  void Flush(TaskContext& ctx) override { EmitBin(ctx); }
  void Discard() override {
    bin_.clear();
    paid_.Release();
  }

 private:
  bool ShouldCloseBefore(const T& next, int64_t next_bytes) const {
    if (close_before_) return close_before_(bin_, next);
    return by_.max_bytes > 0 && bin_bytes_ + next_bytes > by_.max_bytes;
  }

  bool EmitBin(TaskContext& ctx) {
    if (bin_.empty()) return false;
    std::vector<T> bin = std::move(bin_);
    bin_.clear();
    bin_bytes_ = 0;
    ctx.EmitReserved(ItemValue::Make<std::vector<T>>(std::move(bin)), std::move(paid_));
    paid_ = Reservation();
    return true;
  }

  BatchBy by_;
  CloseBefore close_before_;
  std::vector<T> bin_;
  int64_t bin_bytes_ = 0;
  Reservation paid_;
};

// Each running task folds into a partial state of its own; Finish merges them on one thread.
template <typename T, typename S, typename Acc, typename MergeFn>
class ReduceLogic final : public StageLogic {
 public:
  ReduceLogic(S init, Acc acc, MergeFn merge, ReduceResult<S> result)
      : init_(std::move(init)),
        acc_(std::move(acc)),
        merge_(std::move(merge)),
        result_(std::move(result)) {}

  void Run(TaskContext& ctx, std::vector<Item>& inputs) override {
    std::unique_ptr<S> partial = TakePartial();
    for (Item& in : inputs) {
      NoteItem(ctx, inputs, in);
      acc_(*partial, std::move(ValueOf<T>(in)));
    }
    std::lock_guard lock(mu_);
    partials_.push_back(std::move(partial));
  }
  bool NeedsFinish() const override { return true; }
  void Finish(TaskContext&) override {
    std::vector<std::unique_ptr<S>> partials;
    {
      std::lock_guard lock(mu_);
      partials.swap(partials_);
    }
    S merged = init_;
    for (auto& partial : partials) merge_(merged, std::move(*partial));
    result_.state_->value = std::move(merged);
  }

 private:
  std::unique_ptr<S> TakePartial() {
    std::lock_guard lock(mu_);
    if (partials_.empty()) return std::make_unique<S>(init_);
    std::unique_ptr<S> partial = std::move(partials_.back());
    partials_.pop_back();
    return partial;
  }

  const S init_;
  Acc acc_;
  MergeFn merge_;
  ReduceResult<S> result_;
  std::mutex mu_;
  std::vector<std::unique_ptr<S>> partials_;  // guarded by mu_: idle partial states
};

}  // namespace flow_internal

class Pipeline;

// The output of the last stage added to a pipeline; adding a stage consumes it.
template <typename T>
class Stream {
 public:
  template <typename F>
  auto Map(std::string name, F fn, StageOptions options = {}) {
    using U = std::decay_t<std::invoke_result_t<F&, T&&>>;
    static_assert(!std::is_void_v<U>, "a Map function must return its output; use Sink for none");
    return Add<U>(std::move(name), flow_internal::StageType::kMap, options,
                  std::make_unique<flow_internal::MapLogic<T, U, F>>(std::move(fn)));
  }

  // Keeps the items for which pred(const T&) is true.
  template <typename F>
  Stream<T> Filter(std::string name, F pred, StageOptions options = {}) {
    return Add<T>(std::move(name), flow_internal::StageType::kFilter, options,
                  std::make_unique<flow_internal::FilterLogic<T, F>>(std::move(pred)));
  }

  // fn(T, Emitter<U>&) emits any number of outputs per input, incrementally.
  template <typename Given = void, typename F>
  auto FlatMap(std::string name, F fn, StageOptions options = {}) {
    using U = typename flow_internal::Emitted<Given, F, 1>::type;
    return Add<U>(std::move(name), flow_internal::StageType::kFlatMap, options,
                  std::make_unique<flow_internal::FlatMapLogic<T, U, F>>(std::move(fn)));
  }

  Stream<std::vector<T>> Batch(std::string name, BatchBy by, StageOptions options = {}) {
    if (by.max_items <= 0 && by.max_bytes <= 0) {
      throw InvalidArgument("stage '{}': a batch needs a positive item count or byte size", name);
    }
    return AddBatch(std::move(name), by, nullptr, options);
  }

  // Bin-packing by a user rule: close_before(bin, next) returns true when next must start a new
  // bin instead of joining the current (non-empty) one.
  template <typename F>
  requires std::is_invocable_r_v < bool, F&, const std::vector<T>
  &, const T& >
         Stream<std::vector<T>> Batch(std::string name, F close_before, StageOptions options = {}) {
    return AddBatch(std::move(name), BatchBy{}, std::move(close_before), options);
  }

  template <typename F>
  void Sink(std::string name, F fn, StageOptions options = {}) {
    Add<void>(std::move(name), flow_internal::StageType::kSink, options,
              std::make_unique<flow_internal::SinkLogic<T, F>>(std::move(fn)));
  }

  // Folds items into per-task partial states (copies of init) with accumulate(S&, T), then merges
  // them once with merge(S& into, S&& partial) after the last item.
  template <typename S, typename Acc, typename MergeFn>
  ReduceResult<S> Reduce(std::string name, S init, Acc accumulate, MergeFn merge,
                         StageOptions options = {}) {
    ReduceResult<S> result;
    Add<void>(std::move(name), flow_internal::StageType::kReduce, options,
              std::make_unique<flow_internal::ReduceLogic<T, S, Acc, MergeFn>>(
                  std::move(init), std::move(accumulate), std::move(merge), result));
    return result;
  }

 private:
  friend class Pipeline;
  template <typename>
  friend class Stream;
  Stream(Pipeline* pipeline, size_t index) : pipeline_(pipeline), index_(index) {}

  template <typename U>
  auto Add(std::string name, flow_internal::StageType type, const StageOptions& options,
           std::unique_ptr<flow_internal::StageLogic> logic, bool sequential = false);

  Stream<std::vector<T>> AddBatch(std::string name, BatchBy by,
                                  typename flow_internal::BatchLogic<T>::CloseBefore close_before,
                                  StageOptions options) {
    return Add<std::vector<T>>(
        std::move(name), flow_internal::StageType::kBatch, options,
        std::make_unique<flow_internal::BatchLogic<T>>(by, std::move(close_before)),
        /*sequential=*/true);
  }

  Pipeline* pipeline_;
  size_t index_;
};

class Pipeline {
 public:
  explicit Pipeline(std::string name) : name_(std::move(name)) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // fn(Emitter<T>&) produces the items; it runs as one task.
  template <typename Given = void, typename F>
  auto Source(std::string name, F fn, StageOptions options = {}) {
    using T = typename flow_internal::Emitted<Given, F, 0>::type;
    AddStage(std::move(name), flow_internal::StageType::kSource, options,
             std::make_unique<flow_internal::SourceLogic<T, F>>(std::move(fn)), false);
    return Stream<T>(this, stages_.size() - 1);
  }

  template <typename T>
  Stream<T> Source(std::string name, std::vector<T> items, StageOptions options = {}) {
    return Source<T>(
        std::move(name),
        [items = std::move(items)](Emitter<T>& out) mutable {
          for (T& item : items) out.Emit(std::move(item));
        },
        options);
  }

  const std::string& name() const { return name_; }

  // Runs the pipeline to the end; throws the first error. A pipeline runs once.
  RunReport Run(const RunOptions& options = {});

 private:
  template <typename>
  friend class Stream;
  void AddStage(std::string name, flow_internal::StageType type, const StageOptions& options,
                std::unique_ptr<flow_internal::StageLogic> logic, bool sequential);
  void CheckExtends(size_t index, const std::string& name) const;

  std::string name_;
  std::vector<flow_internal::StageSpec> stages_;
  bool ran_ = false;
};

template <typename T>
template <typename U>
auto Stream<T>::Add(std::string name, flow_internal::StageType type, const StageOptions& options,
                    std::unique_ptr<flow_internal::StageLogic> logic, bool sequential) {
  pipeline_->CheckExtends(index_, name);
  pipeline_->AddStage(std::move(name), type, options, std::move(logic), sequential);
  if constexpr (!std::is_void_v<U>) return Stream<U>(pipeline_, pipeline_->stages_.size() - 1);
}

}  // namespace sluice
