#include "sluice/ops/binary_first_last.h"

#include <limits>

#include "sluice/base/error.h"
#include "sluice/base/large_pages.h"
#include "sluice/ops/value_lists.h"
#include "sluice/table/bitmap.h"
#include "sluice/table/buffer_builder.h"
#include "sluice/table/short_copy.h"

namespace sluice {
namespace {

// Bytes of string data in an array's rows.
int64_t DataBytes(const Array& a) {
  const int32_t* offsets = a.raw_offsets() + a.offset();
  return offsets[a.length()] - offsets[0];
}

template <bool kLast>
class BinaryFirstLastAggregator final : public Aggregator {
 public:
  explicit BinaryFirstLastAggregator(DataType type) : type_(std::move(type)) {}
  DataType output_type() const override { return type_; }
  std::unique_ptr<Aggregator> NewEmpty() const override {
    return std::make_unique<BinaryFirstLastAggregator>(type_);
  }
  void Resize(int64_t groups) override {
    values_.resize(static_cast<size_t>(groups));
    rows_.resize(static_cast<size_t>(groups), -1);
  }
  void Update(std::span<const Array* const> inputs, std::span<const uint32_t> groups,
              RowPositions positions) override {
    const Array& input = *inputs[0];
    for (size_t r = 0; r < groups.size(); ++r) {
      const auto row = static_cast<int64_t>(r);
      if (!Takes(groups[r], positions[row])) continue;
      if (input.IsValid(row)) {
        Set(groups[r], input.BinaryValue(row));
      } else {
        values_[groups[r]] = Value{};
      }
    }
  }
  void Merge(const Aggregator& other, std::span<const uint32_t> from,
             std::span<const uint32_t> to) override {
    const auto& o = SameAggregator<BinaryFirstLastAggregator>(other);
    for (size_t i = 0; i < from.size(); ++i) {
      const uint32_t g = from[i];
      if (o.rows_[g] < 0 || !Takes(to[i], o.rows_[g])) continue;
      const Value& v = o.values_[g];
      if (v.valid) {
        Set(to[i], std::string_view(v.data, v.size));
      } else {
        values_[to[i]] = Value{};
      }
    }
  }
  Array Finish() override { return FinishSlice(0, static_cast<int64_t>(values_.size())); }
  Array FinishSlice(int64_t begin, int64_t end) override;
  int64_t ByteSize() const override {
    return static_cast<int64_t>(values_.capacity() * sizeof(Value) +
                                rows_.capacity() * sizeof(int64_t)) +
           arena_.bytes();
  }
  // At most every row's bytes kept (a replaced value's bytes stay in the arena).
  int64_t UpdateGrowthBound(std::span<const Array* const> inputs) const override {
    return arena_.GrowthBound(DataBytes(*inputs[0]));
  }
  int64_t MergeGrowthBound(const Aggregator& other, std::span<const uint32_t> from) const override {
    const auto& o = SameAggregator<BinaryFirstLastAggregator>(other);
    int64_t bytes = 0;
    for (uint32_t g : from) bytes += o.values_[g].size;
    return arena_.GrowthBound(bytes);
  }

 private:
  struct Value {
    const char* data = nullptr;
    uint32_t size = 0;
    bool valid = false;  // false also for a group without rows yet
  };

  // Whether the row at `row` replaces group g's value; records its position when it does.
  bool Takes(uint32_t g, int64_t row) {
    if (rows_[g] >= 0 && (kLast ? row <= rows_[g] : row >= rows_[g])) return false;
    rows_[g] = row;
    return true;
  }
  void Set(uint32_t g, std::string_view bytes) {
    auto* data = static_cast<char*>(arena_.Allocate(bytes.size(), 1));
    CopyShort(data, bytes.data(), bytes.size());
    values_[g] = Value{data, static_cast<uint32_t>(bytes.size()), true};
  }

  DataType type_;
  ValueArena arena_;
  LargeVector<Value> values_;
  LargeVector<int64_t> rows_;
};

template <bool kLast>
Array BinaryFirstLastAggregator<kLast>::FinishSlice(int64_t begin, int64_t end) {
  const auto groups = static_cast<size_t>(end - begin);
  const Value* values = values_.data() + begin;
  int64_t bytes = 0;
  int64_t nulls = 0;
  for (size_t g = 0; g < groups; ++g) {
    bytes += values[g].size;
    nulls += !values[g].valid;
  }
  if (bytes > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument("{} values of {} bytes overflow 32-bit offsets (limit {})",
                          type_.ToString(), bytes, std::numeric_limits<int32_t>::max());
  }
  BufferBuilder offsets(Allocator::Default()), data(Allocator::Default()),
      validity(Allocator::Default());
  offsets.Reserve(static_cast<int64_t>(groups + 1) * 4);
  data.Reserve(bytes);
  auto* out = reinterpret_cast<int32_t*>(offsets.mutable_data());
  uint8_t* out_data = data.mutable_data();
  int32_t at = 0;
  out[0] = 0;
  for (size_t g = 0; g < groups; ++g) {
    CopyShort(out_data + at, values[g].data, values[g].size);
    at += static_cast<int32_t>(values[g].size);
    out[g + 1] = at;
  }
  offsets.UnsafeAdvance(static_cast<int64_t>(groups + 1) * 4);
  data.UnsafeAdvance(at);
  std::shared_ptr<const Buffer> valid;
  if (nulls > 0) {
    validity.AppendZeros((static_cast<int64_t>(groups) + 7) / 8);
    for (size_t g = 0; g < groups; ++g) {
      if (values[g].valid) SetBit(validity.mutable_data(), static_cast<int64_t>(g));
    }
    valid = validity.Finish();
  }
  return Array::Make(type_, static_cast<int64_t>(groups),
                     {std::move(valid), offsets.Finish(), data.Finish()}, nulls);
}

}  // namespace

std::unique_ptr<Aggregator> MakeBinaryFirstLast(const DataType& type, bool last) {
  if (last) return std::make_unique<BinaryFirstLastAggregator<true>>(type);
  return std::make_unique<BinaryFirstLastAggregator<false>>(type);
}

}  // namespace sluice
