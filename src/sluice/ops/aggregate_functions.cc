// The built-in aggregators (see aggregate.h for their semantics).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/ops/aggregate.h"
#include "sluice/ops/binary_first_last.h"
#include "sluice/ops/group_table.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/ops/nested_first_last.h"
#include "sluice/ops/type_dispatch.h"
#include "sluice/ops/value_lists.h"
#include "sluice/table/builder.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

// Calls f(row, group) for each valid row of a.
template <typename F>
void ForEachValid(const Array& a, std::span<const uint32_t> groups, F&& f) {
  const int64_t n = a.length();
  if (a.null_count() == 0) {
    for (int64_t r = 0; r < n; ++r) f(r, groups[static_cast<size_t>(r)]);
  } else {
    for (int64_t r = 0; r < n; ++r) {
      if (a.IsValid(r)) f(r, groups[static_cast<size_t>(r)]);
    }
  }
}

// The values of a fixed-width column as a pointer to its first element.
template <typename T>
const T* Values(const Array& a) {
  return reinterpret_cast<const T*>(a.raw_values()) + a.offset();
}

// Groups [begin, end) of a per-group state.
template <typename T>
std::span<const T> Groups(std::span<const T> all, int64_t begin, int64_t end) {
  return all.subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
}

// Values with a flag per group that says whether any valid input arrived; the flag becomes the
// validity of the output.
template <typename T>
Array FinishWithSeen(const DataType& type, std::span<const T> values,
                     std::span<const uint8_t> seen) {
  FixedWidthBuilder<T> b(type);
  b.Reserve(static_cast<int64_t>(values.size()));
  for (size_t g = 0; g < values.size(); ++g) {
    if (seen[g]) {
      b.Append(values[g]);
    } else {
      b.AppendNull();
    }
  }
  return b.Finish();
}

class CountAggregator final : public Aggregator {
 public:
  explicit CountAggregator(bool star) : star_(star) {}
  DataType output_type() const override { return DataType::Int64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<CountAggregator>(star_);
  }
  void Resize(int64_t groups) override { counts_.resize(static_cast<size_t>(groups), 0); }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    if (star_ || inputs[0]->null_count() == 0) {
      for (uint32_t g : groups) ++counts_[g];
    } else {
      ForEachValid(*inputs[0], groups, [&](int64_t, uint32_t g) { ++counts_[g]; });
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<CountAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) counts_[to[i]] += o.counts_[from[i]];
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(counts_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Int64Builder b;
    b.AppendValues(Groups<int64_t>(counts_, begin, end));
    return b.Finish();
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(counts_.capacity() * sizeof(int64_t));
  }

 private:
  bool star_;
  LargeVector<int64_t> counts_;
};

template <typename In>
class SumAggregator final : public Aggregator {
 public:
  using Acc = std::conditional_t<std::is_floating_point_v<In>, double, int64_t>;
  explicit SumAggregator(std::string column) : column_(std::move(column)) {}
  DataType output_type() const override {
    return std::is_floating_point_v<In> ? DataType::Float64() : DataType::Int64();
  }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<SumAggregator>(column_);
  }
  void Resize(int64_t groups) override {
    sums_.resize(static_cast<size_t>(groups), 0);
    seen_.resize(static_cast<size_t>(groups), 0);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const Array& input = *inputs[0];
    const bool nulls = input.null_count() > 0;
    // Inputs of 32 bits or less cannot overflow the int64 sums before 2^31 rows have been added
    // (|sum| <= rows * 2^32), so until then the per-row overflow check is skipped.
    const bool checked = !kNarrow || rows_ + static_cast<int64_t>(groups.size()) >= (1LL << 31);
    rows_ += static_cast<int64_t>(groups.size());
    if (checked) {
      nulls ? AddRows<true, true>(input, groups) : AddRows<true, false>(input, groups);
    } else {
      nulls ? AddRows<false, true>(input, groups) : AddRows<false, false>(input, groups);
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<SumAggregator>(other);
    rows_ += o.rows_;
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      Add(sums_[to[i]], o.sums_[g]);
      seen_[to[i]] |= o.seen_[g];
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(sums_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    return FinishWithSeen<Acc>(output_type(), Groups<Acc>(sums_, begin, end),
                               Groups<uint8_t>(seen_, begin, end));
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(sums_.capacity() * sizeof(Acc) + seen_.capacity());
  }

 private:
  static constexpr bool kNarrow = std::is_integral_v<In> && sizeof(In) <= 4;

  // Nulls add zero rather than branch: a few percent of nulls at random mispredicted a branch
  // per row. (Values under nulls are unspecified, so they are not added as such.)
  template <bool kChecked, bool kNulls>
  void AddRows(const Array& input, std::span<const uint32_t> groups) {
    const In* v = Values<In>(input);
    const uint8_t* valid = input.validity();
    const int64_t offset = input.offset();
    Acc* sums = sums_.data();
    uint8_t* seen = seen_.data();
    for (size_t r = 0; r < groups.size(); ++r) {
      const uint32_t g = groups[r];
      const bool present = !kNulls || GetBit(valid, offset + static_cast<int64_t>(r));
      const Acc x = present ? static_cast<Acc>(v[r]) : Acc{0};
      if constexpr (kChecked) {
        Add(sums[g], x);
      } else {
        sums[g] += x;
      }
      seen[g] |= static_cast<uint8_t>(present);
    }
  }

  void Add(Acc& sum, Acc v) const {
    if constexpr (std::is_floating_point_v<Acc>) {
      sum += v;
    } else {
      if constexpr (std::is_same_v<In, uint64_t>) {
        if (static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          Overflow();
        }
      }
      if (__builtin_add_overflow(sum, v, &sum)) Overflow();
    }
  }
  [[noreturn]] void Overflow() const {
    throw InvalidData("sum overflows int64").With("column", column_);
  }

  std::string column_;
  LargeVector<Acc> sums_;
  LargeVector<uint8_t> seen_;
  int64_t rows_ = 0;  // rows added here and in the aggregators merged in
};

template <typename In>
class MeanAggregator final : public Aggregator {
 public:
  DataType output_type() const override { return DataType::Float64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<MeanAggregator>();
  }
  void Resize(int64_t groups) override {
    sums_.resize(static_cast<size_t>(groups), 0);
    counts_.resize(static_cast<size_t>(groups), 0);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const In* v = Values<In>(*inputs[0]);
    ForEachValid(*inputs[0], groups, [&](int64_t r, uint32_t g) {
      sums_[g] += static_cast<double>(v[r]);
      ++counts_[g];
    });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<MeanAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      sums_[to[i]] += o.sums_[g];
      counts_[to[i]] += o.counts_[g];
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(sums_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Float64Builder b;
    b.Reserve(end - begin);
    for (size_t g = static_cast<size_t>(begin); g < static_cast<size_t>(end); ++g) {
      if (counts_[g] == 0) {
        b.AppendNull();
      } else {
        b.Append(sums_[g] / static_cast<double>(counts_[g]));
      }
    }
    return b.Finish();
  }
  int64_t ByteSize() const override { return static_cast<int64_t>(sums_.capacity() * 16); }

 private:
  LargeVector<double> sums_;
  LargeVector<int64_t> counts_;
};

// Welford's running moments, merged with Chan et al.'s pairwise formula, so partial states
// combine without the cancellation of sum-of-squares.
struct Moments {
  int64_t n = 0;
  double mean = 0;
  double m2 = 0;

  void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  void Merge(const Moments& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const double total = static_cast<double>(n + o.n);
    const double d = o.mean - mean;
    m2 += o.m2 + d * d * static_cast<double>(n) * static_cast<double>(o.n) / total;
    mean += d * static_cast<double>(o.n) / total;
    n += o.n;
  }
};

template <typename In>
class VarianceAggregator final : public Aggregator {
 public:
  explicit VarianceAggregator(bool stddev) : stddev_(stddev) {}
  DataType output_type() const override { return DataType::Float64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<VarianceAggregator>(stddev_);
  }
  void Resize(int64_t groups) override { moments_.resize(static_cast<size_t>(groups)); }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const In* v = Values<In>(*inputs[0]);
    ForEachValid(*inputs[0], groups,
                 [&](int64_t r, uint32_t g) { moments_[g].Add(static_cast<double>(v[r])); });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<VarianceAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) moments_[to[i]].Merge(o.moments_[from[i]]);
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(moments_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Float64Builder b;
    b.Reserve(end - begin);
    for (const Moments& m : Groups<Moments>(moments_, begin, end)) {
      // Sample variance, as SQL's var/stddev: undefined (null) below two values.
      if (m.n < 2) {
        b.AppendNull();
      } else {
        const double var = m.m2 / static_cast<double>(m.n - 1);
        b.Append(stddev_ ? std::sqrt(var) : var);
      }
    }
    return b.Finish();
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(moments_.capacity() * sizeof(Moments));
  }

 private:
  bool stddev_;
  LargeVector<Moments> moments_;
};

struct CoMoments {
  int64_t n = 0;
  double mean_x = 0, mean_y = 0, m2x = 0, m2y = 0, cxy = 0;

  void Add(double x, double y) {
    ++n;
    const double dx = x - mean_x;
    mean_x += dx / static_cast<double>(n);
    const double dy = y - mean_y;
    mean_y += dy / static_cast<double>(n);
    m2x += dx * (x - mean_x);
    m2y += dy * (y - mean_y);
    cxy += dx * (y - mean_y);
  }
  void Merge(const CoMoments& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const double na = static_cast<double>(n);
    const double nb = static_cast<double>(o.n);
    const double total = na + nb;
    const double dx = o.mean_x - mean_x;
    const double dy = o.mean_y - mean_y;
    m2x += o.m2x + dx * dx * na * nb / total;
    m2y += o.m2y + dy * dy * na * nb / total;
    cxy += o.cxy + dx * dy * na * nb / total;
    mean_x += dx * nb / total;
    mean_y += dy * nb / total;
    n += o.n;
  }
};

template <typename X, typename Y>
class CorrAggregator final : public Aggregator {
 public:
  DataType output_type() const override { return DataType::Float64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<CorrAggregator>();
  }
  void Resize(int64_t groups) override { moments_.resize(static_cast<size_t>(groups)); }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const Array& xs = *inputs[0];
    const Array& ys = *inputs[1];
    const X* x = Values<X>(xs);
    const Y* y = Values<Y>(ys);
    ForEachValid(xs, groups, [&](int64_t r, uint32_t g) {
      if (ys.IsValid(r)) moments_[g].Add(static_cast<double>(x[r]), static_cast<double>(y[r]));
    });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<CorrAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) moments_[to[i]].Merge(o.moments_[from[i]]);
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(moments_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Float64Builder b;
    b.Reserve(end - begin);
    for (const CoMoments& m : Groups<CoMoments>(moments_, begin, end)) {
      const double denominator = std::sqrt(m.m2x * m.m2y);
      if (m.n < 2 || denominator == 0) {
        b.AppendNull();
      } else {
        b.Append(m.cxy / denominator);
      }
    }
    return b.Finish();
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(moments_.capacity() * sizeof(CoMoments));
  }

 private:
  LargeVector<CoMoments> moments_;
};

// Orders values as SQL does for min/max: NaN above every other float.
template <typename T>
bool Less(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, Decimal128>) {
    return a.ToInt128() < b.ToInt128();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
  } else {
    return a < b;
  }
}

template <typename T, bool kMax>
class MinMaxAggregator final : public Aggregator {
 public:
  explicit MinMaxAggregator(DataType type) : type_(std::move(type)) {}
  DataType output_type() const override { return type_; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<MinMaxAggregator>(type_);
  }
  void Resize(int64_t groups) override {
    values_.resize(static_cast<size_t>(groups));
    seen_.resize(static_cast<size_t>(groups), 0);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const T* v = Values<T>(*inputs[0]);
    ForEachValid(*inputs[0], groups, [&](int64_t r, uint32_t g) { Offer(g, v[r]); });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<MinMaxAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.seen_[g]) Offer(to[i], o.values_[g]);
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(values_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    return FinishWithSeen<T>(type_, Groups<T>(values_, begin, end),
                             Groups<uint8_t>(seen_, begin, end));
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(values_.capacity() * sizeof(T) + seen_.capacity());
  }

 private:
  void Offer(uint32_t g, const T& v) {
    if (!seen_[g] || (kMax ? Less(values_[g], v) : Less(v, values_[g]))) {
      values_[g] = v;
      seen_[g] = 1;
    }
  }

  DataType type_;
  LargeVector<T> values_;
  LargeVector<uint8_t> seen_;
};

// The heap bytes of one string per group, kept as the strings change so ByteSize, asked after
// every batch for the memory budget, does not walk all groups.
class StringHeap {
 public:
  void Assign(std::string& slot, std::string_view value) {
    held_ -= Heap(slot);
    slot.assign(value);
    held_ += Heap(slot);
  }
  void Resize(std::vector<std::string>& values, int64_t groups) {
    for (size_t g = static_cast<size_t>(groups); g < values.size(); ++g) held_ -= Heap(values[g]);
    values.resize(static_cast<size_t>(groups));
  }
  int64_t bytes() const { return held_; }

 private:
  // Short strings live inside std::string itself.
  static int64_t Heap(const std::string& s) {
    return s.capacity() > 15 ? static_cast<int64_t>(s.capacity()) : 0;
  }
  int64_t held_ = 0;
};

template <bool kMax>
class BinaryMinMaxAggregator final : public Aggregator {
 public:
  explicit BinaryMinMaxAggregator(DataType type) : type_(std::move(type)) {}
  DataType output_type() const override { return type_; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<BinaryMinMaxAggregator>(type_);
  }
  void Resize(int64_t groups) override {
    heap_.Resize(values_, groups);
    seen_.resize(static_cast<size_t>(groups), 0);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const Array& a = *inputs[0];
    ForEachValid(a, groups, [&](int64_t r, uint32_t g) { Offer(g, a.BinaryValue(r)); });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<BinaryMinMaxAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.seen_[g]) Offer(to[i], o.values_[g]);
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(values_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    auto b = MakeBuilder(type_);
    b->Reserve(end - begin);
    for (size_t g = static_cast<size_t>(begin); g < static_cast<size_t>(end); ++g) {
      if (!seen_[g]) {
        b->AppendNull();
      } else if (type_.layout() == Layout::kVariableBinary) {
        static_cast<BinaryBuilder&>(*b).Append(values_[g]);
      } else {
        static_cast<FixedSizeBinaryBuilder&>(*b).Append(values_[g]);
      }
    }
    return b->Finish();
  }
  int64_t ByteSize() const override {
    int64_t bytes = static_cast<int64_t>(values_.capacity() * sizeof(std::string));
    return bytes + heap_.bytes();
  }
  // Long values kept.
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    return KeyEncoder::EncodedBytesBound(inputs.first(1));
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const override {
    const auto& o = SameAggregator<BinaryMinMaxAggregator>(other);
    int64_t bytes = 0;
    for (uint32_t g : from) bytes += static_cast<int64_t>(o.values_[g].size()) + 1;
    return bytes;
  }

 private:
  void Offer(uint32_t g, std::string_view v) {
    // Byte order, as SQL compares strings under the binary collation.
    if (!seen_[g] || (kMax ? values_[g] < v : v < values_[g])) {
      heap_.Assign(values_[g], v);
      seen_[g] = 1;
    }
  }

  DataType type_;
  std::vector<std::string> values_;
  LargeVector<uint8_t> seen_;
  StringHeap heap_;
};

template <typename In>
class MedianAggregator final : public Aggregator {
 public:
  DataType output_type() const override { return DataType::Float64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<MedianAggregator>();
  }
  void Resize(int64_t groups) override { values_.Resize(groups); }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    const In* v = Values<In>(*inputs[0]);
    ForEachValid(*inputs[0], groups,
                 [&](int64_t r, uint32_t g) { values_.Append(g, static_cast<double>(v[r])); });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<MedianAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) values_.AppendList(to[i], o.values_, from[i]);
  }
  Array Finish() override { return FinishSlice(0, values_.groups()); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Float64Builder b;
    b.Reserve(end - begin);
    for (int64_t g = begin; g < end; ++g) {
      const std::span<double> v = values_.Values(static_cast<uint32_t>(g));
      if (v.empty()) {
        b.AppendNull();
        continue;
      }
      // The continuous median: the mean of the two middle values for an even count.
      const size_t mid = v.size() / 2;
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
      double m = v[mid];
      if (v.size() % 2 == 0) {
        const double lower =
            *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
        m = lower + (m - lower) / 2;
      }
      b.Append(m);
    }
    return b.Finish();
  }
  int64_t ByteSize() const override { return values_.ByteSize(); }
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    return values_.AppendGrowthBound(inputs[0]->length() - inputs[0]->null_count());
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const override {
    return values_.AppendListGrowthBound(SameAggregator<MedianAggregator>(other).values_, from);
  }

 private:
  ValueLists values_;
};

// first/last keep the whole value (nulls included, as SQL's first and last do) as a one-column
// key string, so one implementation serves every type.
template <bool kLast>
class FirstLastAggregator final : public Aggregator {
 public:
  explicit FirstLastAggregator(DataType type) : encoder_({type}) {}
  DataType output_type() const override { return encoder_.types()[0]; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<FirstLastAggregator>(encoder_.types()[0]);
  }
  void Resize(int64_t groups) override {
    heap_.Resize(values_, groups);
    rows_.resize(static_cast<size_t>(groups), -1);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions positions) override {
    encoder_.Encode(inputs.first(1));
    for (size_t r = 0; r < groups.size(); ++r) {
      Offer(groups[r], positions[static_cast<int64_t>(r)], encoder_.key(static_cast<int64_t>(r)));
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<FirstLastAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.rows_[g] >= 0) Offer(to[i], o.rows_[g], o.values_[g]);
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(values_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    std::vector<std::string_view> keys;
    keys.reserve(static_cast<size_t>(end - begin));
    const std::string null_key(1, '\0');
    for (size_t g = static_cast<size_t>(begin); g < static_cast<size_t>(end); ++g) {
      keys.push_back(rows_[g] >= 0 ? std::string_view(values_[g]) : std::string_view(null_key));
    }
    return encoder_.Decode(keys)[0];
  }
  int64_t ByteSize() const override {
    int64_t bytes = static_cast<int64_t>(values_.capacity() * (sizeof(std::string) + 8));
    return bytes + heap_.bytes() + encoder_.ByteSize();
  }
  // The encoder's keys of the batch, and as much again for long values kept.
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    return 2 * KeyEncoder::EncodedBytesBound(inputs.first(1)) + 8 * inputs[0]->length();
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const override {
    const auto& o = SameAggregator<FirstLastAggregator>(other);
    int64_t bytes = 0;
    for (uint32_t g : from) bytes += static_cast<int64_t>(o.values_[g].size()) + 1;
    return bytes;
  }

 private:
  void Offer(uint32_t g, int64_t row, std::string_view value) {
    if (rows_[g] < 0 || (kLast ? row > rows_[g] : row < rows_[g])) {
      rows_[g] = row;
      heap_.Assign(values_[g], value);
    }
  }

  KeyEncoder encoder_;
  std::vector<std::string> values_;
  LargeVector<int64_t> rows_;
  StringHeap heap_;
};

// first()/last() of a fixed-width column: the value, its validity and its row's stream position
// per group in flat arrays (the general one above keeps an encoded string per group, five times
// the memory for a distinct over several payload columns).
template <typename T, bool kLast>
class FixedFirstLastAggregator final : public Aggregator {
 public:
  explicit FixedFirstLastAggregator(DataType type) : type_(std::move(type)) {}
  DataType output_type() const override { return type_; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<FixedFirstLastAggregator>(type_);
  }
  void Resize(int64_t groups) override {
    values_.resize(static_cast<size_t>(groups));
    valid_.resize(static_cast<size_t>(groups), 0);
    rows_.resize(static_cast<size_t>(groups), -1);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions positions) override {
    const Array& input = *inputs[0];
    for (size_t r = 0; r < groups.size(); ++r) {
      const auto row = static_cast<int64_t>(r);
      if (Takes(groups[r], positions[row])) {
        values_[groups[r]] = input.Value<T>(row);
        valid_[groups[r]] = input.IsValid(row);
      }
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<FixedFirstLastAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.rows_[g] >= 0 && Takes(to[i], o.rows_[g])) {
        values_[to[i]] = o.values_[g];
        valid_[to[i]] = o.valid_[g];
      }
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(values_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    return FinishWithSeen<T>(type_, Groups<T>(values_, begin, end),
                             Groups<uint8_t>(valid_, begin, end));
  }
  int64_t ByteSize() const override {
    return static_cast<int64_t>(values_.capacity() * sizeof(T) + valid_.capacity() +
                                rows_.capacity() * sizeof(int64_t));
  }
  int64_t UpdateGrowthBound(std::span<const Array* const>) const override { return 0; }
  int64_t MergeGrowthBound(const Aggregator&, std::span<const uint32_t>) const override {
    return 0;
  }

 private:
  // Whether the row at `row` replaces group g's value; records its position when it does.
  bool Takes(uint32_t g, int64_t row) {
    if (rows_[g] >= 0 && (kLast ? row <= rows_[g] : row >= rows_[g])) return false;
    rows_[g] = row;
    return true;
  }

  DataType type_;
  LargeVector<T> values_;
  LargeVector<uint8_t> valid_;  // 0 also for a group without rows yet
  LargeVector<int64_t> rows_;
};

// Distinct (group, value) pairs in a hash table of their own; a group's count is its pairs. Each
// group chains its pairs (head_, next_), so a merge visits only the pairs of the groups it takes.
constexpr uint32_t kNoPair = ~uint32_t{0};

class CountDistinctAggregator final : public Aggregator {
 public:
  explicit CountDistinctAggregator(DataType type) : encoder_({type}) {}
  DataType output_type() const override { return DataType::Int64(); }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<CountDistinctAggregator>(encoder_.types()[0]);
  }
  void Resize(int64_t groups) override {
    head_.resize(static_cast<size_t>(groups), kNoPair);
    counts_.resize(static_cast<size_t>(groups), 0);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions) override {
    encoder_.Encode(inputs.first(1));
    ForEachValid(*inputs[0], groups, [&](int64_t r, uint32_t g) { Insert(g, encoder_.key(r)); });
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<CountDistinctAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      for (uint32_t p = o.head_[from[i]]; p != kNoPair; p = o.next_[p]) {
        Insert(to[i], o.pairs_.key(p).substr(4));
      }
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(counts_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override {
    Int64Builder b;
    b.Reserve(end - begin);
    for (uint32_t c : Groups<uint32_t>(counts_, begin, end)) b.Append(c);
    return b.Finish();
  }
  int64_t ByteSize() const override {
    return pairs_.ByteSize() + encoder_.ByteSize() +
           static_cast<int64_t>((head_.capacity() + counts_.capacity() + next_.capacity()) *
                                sizeof(uint32_t));
  }
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    const int64_t values = inputs[0]->length() - inputs[0]->null_count();
    const int64_t encoded = KeyEncoder::EncodedBytesBound(inputs.first(1));
    // Every value a new pair (group id + value), and the encoder's keys of the batch.
    return PairsGrowthBound(values, encoded + 4 * values) + encoded + 8 * inputs[0]->length();
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const override {
    const auto& o = SameAggregator<CountDistinctAggregator>(other);
    int64_t pairs = 0;
    for (uint32_t g : from) pairs += o.counts_[g];
    const double key_bytes = o.pairs_.average_key_bytes() * 1.25 + 8;
    return PairsGrowthBound(pairs, static_cast<int64_t>(static_cast<double>(pairs) * key_bytes));
  }

 private:
  int64_t PairsGrowthBound(int64_t pairs, int64_t key_bytes) const {
    size_t capacity = std::max<size_t>(next_.capacity(), 1);
    while (capacity < next_.size() + static_cast<size_t>(pairs)) capacity *= 2;
    const int64_t next = capacity == next_.capacity()
                             ? 0
                             : static_cast<int64_t>((capacity + capacity / 2) * sizeof(uint32_t));
    return pairs_.GrowthBound(pairs, key_bytes) + next;
  }
  void Insert(uint32_t group, std::string_view value) {
    scratch_.assign(reinterpret_cast<const char*>(&group), 4);
    scratch_.append(value);
    const int64_t before = pairs_.num_groups();
    const uint32_t pair =
        pairs_.FindOrInsert(XxHash64(scratch_.data(), scratch_.size(), 0), scratch_);
    if (pairs_.num_groups() == before) return;
    next_.push_back(head_[group]);
    head_[group] = pair;
    ++counts_[group];
  }

  KeyEncoder encoder_;
  GroupTable pairs_;
  LargeVector<uint32_t> head_;    // per group: its last pair, or kNoPair
  LargeVector<uint32_t> counts_;  // per group: its pairs
  LargeVector<uint32_t> next_;    // per pair: the group's previous pair, or kNoPair
  std::string scratch_;
};

bool IsNumeric(const DataType& t) {
  switch (t.id()) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kUInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return true;
    default:
      return false;
  }
}

// Calls f(T{}) for a numeric column's C type, or NotSupported naming the function and column.
template <typename F>
void DispatchNumeric(const AggregateCall& call, size_t arg, const DataType& type, F&& f) {
  if (!IsNumeric(type)) {
    throw NotSupported("{} needs a numeric column", call.function)
        .With("column", call.columns[arg])
        .With("type", type.ToString());
  }
  DispatchFixedWidth(type, [&]<typename T>(T) {
    if constexpr (!std::is_same_v<T, Decimal128>) f(T{});
  });
}

// The factories of the registry below: inputs already counted; types checked here.
std::unique_ptr<Aggregator> MakeCount(const AggregateCall& call, std::span<const DataType>) {
  return std::make_unique<CountAggregator>(call.columns.empty());
}

std::unique_ptr<Aggregator> MakeCorr(const AggregateCall& call, std::span<const DataType> types) {
  std::unique_ptr<Aggregator> out;
  DispatchNumeric(call, 0, types[0], [&]<typename X>(X) {
    DispatchNumeric(call, 1, types[1],
                    [&]<typename Y>(Y) { out = std::make_unique<CorrAggregator<X, Y>>(); });
  });
  return out;
}

std::unique_ptr<Aggregator> MakeCountDistinct(const AggregateCall&,
                                              std::span<const DataType> types) {
  return std::make_unique<CountDistinctAggregator>(types[0]);
}

template <bool kLast>
std::unique_ptr<Aggregator> MakeFirstLast(const AggregateCall&, std::span<const DataType> types) {
  const DataType& type = types[0];
  std::unique_ptr<Aggregator> out;
  const bool fixed = DispatchFixedWidth(type, [&]<typename T>(T) {
    out = std::make_unique<FixedFirstLastAggregator<T, kLast>>(type);
  });
  if (fixed) return out;
  if (type.layout() == Layout::kVariableBinary) return MakeBinaryFirstLast(type, kLast);
  if (type.is_nested()) return MakeNestedFirstLast(type, kLast);
  return std::make_unique<FirstLastAggregator<kLast>>(type);
}

template <bool kMax>
std::unique_ptr<Aggregator> MakeMinMax(const AggregateCall& call, std::span<const DataType> types) {
  const DataType& type = types[0];
  if (type.layout() == Layout::kVariableBinary || type.id() == TypeId::kFixedSizeBinary) {
    return std::make_unique<BinaryMinMaxAggregator<kMax>>(type);
  }
  if (type.id() == TypeId::kBool) {
    throw NotSupported("{} of a bool column", call.function).With("column", call.columns[0]);
  }
  std::unique_ptr<Aggregator> out;
  DispatchFixedWidth(
      type, [&]<typename T>(T) { out = std::make_unique<MinMaxAggregator<T, kMax>>(type); });
  return out;
}

// A numeric-only function whose state is Make(call) of the input's C++ type.
template <template <typename> class State, typename... Args>
std::unique_ptr<Aggregator> MakeNumeric(const AggregateCall& call, std::span<const DataType> types,
                                        Args... args) {
  std::unique_ptr<Aggregator> out;
  DispatchNumeric(call, 0, types[0],
                  [&]<typename T>(T) { out = std::make_unique<State<T>>(args...); });
  return out;
}

std::unique_ptr<Aggregator> MakeSum(const AggregateCall& call, std::span<const DataType> types) {
  return MakeNumeric<SumAggregator>(call, types, call.columns[0]);
}
std::unique_ptr<Aggregator> MakeMean(const AggregateCall& call, std::span<const DataType> types) {
  return MakeNumeric<MeanAggregator>(call, types);
}
template <bool kStddev>
std::unique_ptr<Aggregator> MakeVariance(const AggregateCall& call,
                                         std::span<const DataType> types) {
  return MakeNumeric<VarianceAggregator>(call, types, kStddev);
}
std::unique_ptr<Aggregator> MakeMedian(const AggregateCall& call, std::span<const DataType> types) {
  return MakeNumeric<MedianAggregator>(call, types);
}

constexpr AggregateFunction kFunctions[] = {
    {"count", 1, true, false, MakeCount},
    {"count_distinct", 1, false, false, MakeCountDistinct},
    {"sum", 1, false, false, MakeSum},
    {"min", 1, false, false, MakeMinMax<false>},
    {"max", 1, false, false, MakeMinMax<true>},
    {"mean", 1, false, false, MakeMean},
    {"avg", 1, false, false, MakeMean},
    {"var", 1, false, false, MakeVariance<false>},
    {"variance", 1, false, false, MakeVariance<false>},
    {"var_samp", 1, false, false, MakeVariance<false>},
    {"stddev", 1, false, false, MakeVariance<true>},
    {"stddev_samp", 1, false, false, MakeVariance<true>},
    {"median", 1, false, false, MakeMedian},
    {"first", 1, false, true, MakeFirstLast<false>},
    {"last", 1, false, true, MakeFirstLast<true>},
    {"corr", 2, false, false, MakeCorr},
};

}  // namespace

const AggregateFunction* FindAggregateFunction(std::string_view name) {
  for (const AggregateFunction& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

namespace {

// A nested column (list, struct, map) is payload: first and last keep it whole, count counts it.
void CheckNestedInputs(const AggregateFunction& function, const AggregateCall& call,
                       std::span<const DataType> input_types) {
  const std::string_view name = function.name;
  if (name == "first" || name == "last" || name == "count") return;
  for (size_t i = 0; i < input_types.size(); ++i) {
    if (!input_types[i].is_nested()) continue;
    throw NotSupported("{} of a nested column ({}): nested columns take first, last and count",
                       call.function, input_types[i].ToString())
        .With("column", call.columns[i]);
  }
}

}  // namespace

std::unique_ptr<Aggregator> MakeAggregator(const AggregateCall& call,
                                           std::span<const DataType> input_types) {
  const AggregateFunction* function = FindAggregateFunction(call.function);
  if (function == nullptr) {
    throw InvalidArgument("unknown aggregate function '{}'", call.function)
        .With("aggregate", call.name);
  }
  const bool star = function->takes_star && call.columns.empty();
  if (!star && call.columns.size() != function->arity) {
    throw InvalidArgument("{} takes {} column(s)", call.function, function->arity)
        .With("aggregate", call.name);
  }
  SLUICE_CHECK_EQ(input_types.size(), call.columns.size());
  CheckNestedInputs(*function, call, input_types);
  std::unique_ptr<Aggregator> out = function->make(call, input_types);
  SLUICE_CHECK(out != nullptr);
  return out;
}

}  // namespace sluice
