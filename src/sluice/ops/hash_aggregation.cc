#include "sluice/ops/hash_aggregation.h"

#include <algorithm>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/table/dictionary.h"
#include "sluice/table/take.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

int ResolveColumn(const Schema& schema, const std::string& name, const std::string& role) {
  std::optional<int> index = schema.FieldIndex(name);
  if (!index) throw NotFound("unknown column in {}", role).With("column", name);
  return *index;
}

std::vector<DataType> KeyTypes(const Schema& input, const std::vector<std::string>& keys) {
  std::vector<DataType> types;
  for (const std::string& k : keys) {
    const Field& field = input.field(ResolveColumn(input, k, "group keys"));
    CheckFlatKey(field, "the group key");
    types.push_back(field.type);
  }
  return types;
}

// An aggregate's input columns; a dictionary-encoded one (a key column kept encoded that an
// aggregate reads too) decoded into `decoded`.
void GatherInputs(const RecordBatch& batch, const std::vector<int>& columns,
                  std::vector<const Array*>& inputs, std::vector<Array>& decoded) {
  inputs.clear();
  decoded.clear();
  decoded.reserve(columns.size());  // the pointers stay valid
  for (int c : columns) {
    const Array& input = batch.column(c);
    if (input.is_dictionary()) decoded.push_back(DecodeDictionary(input));
    inputs.push_back(input.is_dictionary() ? &decoded.back() : &input);
  }
}

}  // namespace

HashAggregation::HashAggregation(const Schema& input, const GroupBySpec& spec)
    : encoder_(KeyTypes(input, spec.keys)), direct_(encoder_.types()) {
  std::vector<Field> fields;
  for (const std::string& k : spec.keys) {
    key_columns_.push_back(ResolveColumn(input, k, "group keys"));
    fields.push_back(Field{k, input.field(key_columns_.back()).type, true});
  }
  for (const AggregateCall& call : spec.aggregates) {
    std::vector<int> columns;
    std::vector<DataType> types;
    for (const std::string& c : call.columns) {
      columns.push_back(ResolveColumn(input, c, "aggregate " + call.name));
      types.push_back(input.field(columns.back()).type);
    }
    auto user = std::find_if(spec.user_functions.begin(), spec.user_functions.end(),
                             [&](const auto& f) { return f.first == call.function; });
    aggregators_.push_back(user != spec.user_functions.end() ? user->second(types)
                                                             : MakeAggregator(call, types));
    const AggregateFunction* builtin = FindAggregateFunction(call.function);
    order_sensitive_ = order_sensitive_ || user != spec.user_functions.end() ||
                       (builtin != nullptr && builtin->order_sensitive);
    aggregate_columns_.push_back(std::move(columns));
    fields.push_back(Field{call.name, aggregators_.back()->output_type(), true});
  }
  output_schema_ = std::make_shared<const Schema>(std::move(fields));
  // What the aggregates hold per group, measured on empty states sized for 1024 groups.
  constexpr int64_t kProbeGroups = 1024;
  int64_t probe_bytes = 0;
  for (const auto& a : aggregators_) {
    std::unique_ptr<Aggregator> probe = a->NewEmpty();
    probe->Resize(kProbeGroups);
    probe_bytes += probe->ByteSize();
  }
  group_bytes_ = (probe_bytes + kProbeGroups - 1) / kProbeGroups;
}

HashAggregation::HashAggregation(const HashAggregation& prototype, int)
    : key_columns_(prototype.key_columns_),
      aggregate_columns_(prototype.aggregate_columns_),
      output_schema_(prototype.output_schema_),
      encoder_(prototype.encoder_.types()),
      direct_(encoder_.types()),
      group_bytes_(prototype.group_bytes_),
      order_sensitive_(prototype.order_sensitive_) {
  for (const auto& a : prototype.aggregators_) aggregators_.push_back(a->NewEmpty());
}

std::unique_ptr<HashAggregation> HashAggregation::NewEmpty() const {
  return std::unique_ptr<HashAggregation>(new HashAggregation(*this, 0));
}

void HashAggregation::ResizeAggregators() {
  if (table_.num_groups() <= sized_groups_) return;
  // Geometric growth, so a stream of new groups resizes the states O(log n) times.
  sized_groups_ = std::max(table_.num_groups(), sized_groups_ * 2);
  for (auto& a : aggregators_) a->Resize(sized_groups_);
}

void HashAggregation::EncodeKeys(std::span<const Array* const> keys) {
  const size_t rows = static_cast<size_t>(keys[0]->length());
  hashes_.resize(rows);
  encoder_.Encode(keys);
  keys_.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    keys_[r] = encoder_.key(static_cast<int64_t>(r));
    hashes_[r] = XxHash64(keys_[r].data(), keys_[r].size(), 0);
  }
}

std::vector<int> HashAggregation::input_columns() const {
  std::vector<int> columns = key_columns_;
  for (const auto& a : aggregate_columns_) columns.insert(columns.end(), a.begin(), a.end());
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return columns;
}

void HashAggregation::HashKeys(const RecordBatch& batch, std::span<uint64_t> out) {
  if (key_columns_.empty()) {
    // One group: every row in one partition.
    std::fill(out.begin(), out.end(), 0);
    return;
  }
  EncodeKeys(batch);
  SLUICE_CHECK_EQ(out.size(), hashes_.size());
  std::copy(hashes_.begin(), hashes_.end(), out.begin());
}

void HashAggregation::GatherKeys(const RecordBatch& batch, bool keep_dictionaries) {
  key_arrays_.clear();
  decoded_keys_.clear();
  decoded_keys_.reserve(key_columns_.size());  // the pointers below stay valid
  for (int c : key_columns_) {
    const Array& key = batch.column(c);
    if (key.is_dictionary() && !keep_dictionaries) {
      decoded_keys_.push_back(DecodeDictionary(key));
      key_arrays_.push_back(&decoded_keys_.back());
    } else {
      key_arrays_.push_back(&key);
    }
  }
}

void HashAggregation::EncodeKeys(const RecordBatch& batch) {
  GatherKeys(batch, /*keep_dictionaries=*/false);
  EncodeKeys(key_arrays_);
}

void HashAggregation::UpdateAggregators(const RecordBatch& batch, std::span<const uint32_t> groups,
                                        RowPositions positions) {
  ResizeAggregators();
  std::vector<const Array*> inputs;
  std::vector<Array> decoded;
  for (size_t a = 0; a < aggregators_.size(); ++a) {
    GatherInputs(batch, aggregate_columns_[a], inputs, decoded);
    aggregators_[a]->Update(inputs, groups, positions);
  }
}

void HashAggregation::Consume(const RecordBatch& batch, RowPositions positions) {
  SLUICE_CHECK(partitions_ == 0);
  const size_t rows = static_cast<size_t>(batch.num_rows());
  groups_.resize(rows);
  if (key_columns_.empty()) {
    if (table_.num_groups() == 0) table_.FindOrInsert(0, {});
    std::fill(groups_.begin(), groups_.end(), 0);
  } else {
    FindGroups(batch);
  }
  UpdateAggregators(batch, groups_, positions);
}

void HashAggregation::FindGroups(const RecordBatch& batch) {
  const int64_t rows = batch.num_rows();
  GatherKeys(batch, /*keep_dictionaries=*/true);
  if (DictionaryKeyIndex::Serves(key_arrays_)) {
    FindGroupsByDictionary();
    return;
  }
  GatherKeys(batch, /*keep_dictionaries=*/false);
  const int64_t misses = direct_.Lookup(key_arrays_, groups_);
  if (misses == 0) return;
  if (!direct_.enabled() || 2 * misses > rows) {
    EncodeKeys(key_arrays_);
    table_.FindOrInsert(hashes_, keys_, groups_);
    if (direct_.enabled()) {
      for (int64_t r = 0; r < rows; ++r) direct_.Record(r, groups_[static_cast<size_t>(r)]);
    }
    return;
  }
  // Few misses (keys not seen yet): only those rows are hashed and encoded.
  missing_.clear();
  for (int64_t r = 0; r < rows; ++r) {
    if (groups_[static_cast<size_t>(r)] == DirectKeyIndex::kMiss) missing_.push_back(r);
  }
  taken_keys_.clear();
  for (const Array* a : key_arrays_) taken_keys_.push_back(Take(*a, missing_));
  key_arrays_.clear();
  for (const Array& a : taken_keys_) key_arrays_.push_back(&a);
  EncodeKeys(key_arrays_);
  for (size_t i = 0; i < missing_.size(); ++i) {
    const uint32_t g = table_.FindOrInsert(hashes_[i], keys_[i]);
    groups_[static_cast<size_t>(missing_[i])] = g;
    direct_.Record(missing_[i], g);
  }
}

void HashAggregation::FindGroupsByDictionary() {
  const std::span<const int64_t> pending = dictionary_.Lookup(key_arrays_, groups_);
  if (pending.empty()) return;
  // One row per new code is hashed and encoded, its key's values taken from the dictionaries.
  taken_keys_.clear();
  for (const Array* a : key_arrays_) taken_keys_.push_back(DecodeDictionary(Take(*a, pending)));
  key_arrays_.clear();
  for (const Array& a : taken_keys_) key_arrays_.push_back(&a);
  EncodeKeys(key_arrays_);
  for (size_t i = 0; i < pending.size(); ++i) {
    dictionary_.Resolve(i, table_.FindOrInsert(hashes_[i], keys_[i]));
  }
  dictionary_.Finish(groups_);
}

void HashAggregation::ConsumeExisting(const RecordBatch& batch, RowPositions positions,
                                      std::vector<int64_t>& missing) {
  SLUICE_CHECK(partitions_ == 0);
  if (key_columns_.empty() || batch.num_rows() == 0) {
    Consume(batch, positions);  // one group, which costs no memory to keep feeding
    return;
  }
  EncodeKeys(batch);
  const int64_t rows = batch.num_rows();
  groups_.clear();
  present_.clear();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t g = table_.Find(hashes_[static_cast<size_t>(r)], keys_[static_cast<size_t>(r)]);
    if (g < 0) {
      missing.push_back(r);
    } else {
      groups_.push_back(static_cast<uint32_t>(g));
      present_.push_back(r);
    }
  }
  if (present_.empty()) return;
  if (static_cast<int64_t>(present_.size()) == rows) {
    UpdateAggregators(batch, groups_, positions);
    return;
  }
  present_positions_.resize(present_.size());
  for (size_t i = 0; i < present_.size(); ++i) present_positions_[i] = positions[present_[i]];
  UpdateAggregators(Take(batch, present_), groups_, RowPositions(present_positions_.data()));
}

void HashAggregation::ReleaseScratch() {
  encoder_.Release();
  hashes_ = {};
  keys_ = {};
  groups_ = {};
  taken_keys_ = {};
  decoded_keys_ = {};
  dictionary_ = {};
  missing_ = {};
  present_ = {};
  present_positions_ = {};
}

void HashAggregation::Seal(int partitions) {
  SLUICE_CHECK_GT(partitions, 0);
  ReleaseScratch();
  partitions_ = partitions;
  partition_groups_.assign(static_cast<size_t>(partitions), {});
  for (int64_t g = 0; g < table_.num_groups(); ++g) {
    partition_groups_[static_cast<size_t>(PartitionOf(table_.hash(g), partitions))].push_back(
        static_cast<uint32_t>(g));
  }
}

void HashAggregation::MergePartition(const HashAggregation& other, int partition) {
  SLUICE_CHECK(other.partitions_ > 0);
  MergeGroups(other, other.partition_groups_.at(static_cast<size_t>(partition)));
}

std::span<const uint32_t> HashAggregation::SliceGroups(int partition, const HashSlice& slice,
                                                       std::vector<uint32_t>& scratch) const {
  SLUICE_CHECK(partitions_ > 0);
  const std::vector<uint32_t>& all = partition_groups_.at(static_cast<size_t>(partition));
  if (slice.count == 1) return all;
  scratch.clear();
  for (uint32_t g : all) {
    if (slice.Contains(table_.hash(g))) scratch.push_back(g);
  }
  return scratch;
}

int64_t HashAggregation::partition_groups(int partition) const {
  return static_cast<int64_t>(partition_groups_.at(static_cast<size_t>(partition)).size());
}

void HashAggregation::Reserve(int64_t groups) {
  table_.Reserve(groups);
  if (groups <= sized_groups_) return;
  sized_groups_ = groups;
  for (auto& a : aggregators_) a->Resize(sized_groups_);
}

int64_t HashAggregation::ResizeGrowthBound(int64_t groups) const {
  if (groups <= sized_groups_) return 0;
  // ResizeAggregators' size; a resize holds the old state and the new.
  return std::max(groups, sized_groups_ * 2) * group_bytes_;
}

int64_t HashAggregation::ScratchBytes() const {
  int64_t bytes = encoder_.ByteSize();
  bytes += static_cast<int64_t>(hashes_.capacity() * sizeof(uint64_t) +
                                keys_.capacity() * sizeof(std::string_view) +
                                groups_.capacity() * sizeof(uint32_t));
  bytes += static_cast<int64_t>(
      (missing_.capacity() + present_.capacity() + present_positions_.capacity()) *
      sizeof(int64_t));
  for (const Array& a : taken_keys_) bytes += sluice::ByteSize(a);
  for (const Array& a : decoded_keys_) bytes += sluice::ByteSize(a);
  return bytes + dictionary_.ByteSize();
}

int64_t HashAggregation::ScratchGrowthBound(int64_t rows, int64_t key_bytes) const {
  // Hashes, key views, group ids, the encoder's offsets, row lists; the keys; taken key columns.
  const int64_t needed = rows * (8 + 16 + 4 + 8 + 3 * 8) + 2 * key_bytes;
  return std::max<int64_t>(0, needed - ScratchBytes());
}

int64_t HashAggregation::UpdateGrowthBound(const RecordBatch& batch) const {
  int64_t bytes = 0;
  std::vector<const Array*> inputs;
  std::vector<Array> decoded;
  for (size_t a = 0; a < aggregators_.size(); ++a) {
    GatherInputs(batch, aggregate_columns_[a], inputs, decoded);
    for (const Array& d : decoded) bytes += sluice::ByteSize(d);
    bytes += aggregators_[a]->UpdateGrowthBound(inputs);
  }
  return bytes;
}

int64_t HashAggregation::ConsumeGrowthBound(const RecordBatch& batch) const {
  const int64_t rows = batch.num_rows();
  if (key_columns_.empty()) return ResizeGrowthBound(1) + UpdateGrowthBound(batch);
  std::vector<const Array*> keys;
  for (int c : key_columns_) keys.push_back(&batch.column(c));
  const int64_t key_bytes = KeyEncoder::EncodedBytesBound(keys);
  return table_.GrowthBound(rows, key_bytes) + ResizeGrowthBound(num_groups() + rows) +
         ScratchGrowthBound(rows, key_bytes) + dictionary_.LookupBytes(keys) +
         UpdateGrowthBound(batch);
}

int64_t HashAggregation::ConsumeExistingGrowthBound(const RecordBatch& batch) const {
  if (key_columns_.empty()) return ConsumeGrowthBound(batch);
  std::vector<const Array*> keys;
  for (int c : key_columns_) keys.push_back(&batch.column(c));
  // The rows of existing groups are taken out of the batch for the aggregates.
  return ScratchGrowthBound(batch.num_rows(), KeyEncoder::EncodedBytesBound(keys)) +
         sluice::ByteSize(batch) + UpdateGrowthBound(batch);
}

int64_t HashAggregation::MergeGrowthBound(const HashAggregation& other,
                                          std::span<const uint32_t> from) const {
  const int64_t n = static_cast<int64_t>(from.size());
  int64_t bytes = table_.GrowthBound(n, 0) + ResizeGrowthBound(num_groups() + n) +
                  n * static_cast<int64_t>(sizeof(uint32_t));
  for (size_t a = 0; a < aggregators_.size(); ++a) {
    bytes += aggregators_[a]->MergeGrowthBound(*other.aggregators_[a], from);
  }
  return bytes;
}

int64_t HashAggregation::ReserveGrowthBound(int64_t groups) const {
  return table_.GrowthBound(groups - num_groups(), 0) + ResizeGrowthBound(groups);
}

int64_t HashAggregation::EstimatedGroupBytes(double key_bytes) const {
  // Slots at 25-50% load, key view and hash, the key, the aggregates grown by doubling.
  return static_cast<int64_t>(24 + 24 + key_bytes + 1.5 * static_cast<double>(group_bytes_));
}

void HashAggregation::MergeGroups(const HashAggregation& other, std::span<const uint32_t> groups) {
  std::vector<uint32_t> to(groups.size());
  const GroupTable& from = other.table_;
  constexpr size_t kAhead = 8;  // the groups are scattered over other's table: fetch ahead
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i + 2 * kAhead < groups.size()) from.PrefetchGroup(groups[i + 2 * kAhead]);
    if (i + kAhead < groups.size()) {
      from.PrefetchKey(groups[i + kAhead]);
      table_.PrefetchSlot(from.hash(groups[i + kAhead]));
    }
    to[i] = table_.FindOrInsert(from.hash(groups[i]), from.key(groups[i]), /*copy_key=*/false);
  }
  ResizeAggregators();
  for (size_t a = 0; a < aggregators_.size(); ++a) {
    aggregators_[a]->Merge(*other.aggregators_[a], groups, to);
  }
}

RecordBatch HashAggregation::Finish() {
  const int64_t groups = table_.num_groups();
  std::vector<Array> columns = encoder_.Decode(table_.keys());
  for (auto& a : aggregators_) {
    // States were grown geometrically: trim them to the groups.
    a->Resize(groups);
    columns.push_back(a->Finish());
  }
  return RecordBatch::Make(output_schema_, std::move(columns), groups);
}

void HashAggregation::Finish(int64_t max_rows, const std::function<void(RecordBatch)>& emit) {
  SLUICE_CHECK_GT(max_rows, 0);
  const int64_t groups = table_.num_groups();
  // States were grown geometrically: trim them to the groups.
  for (auto& a : aggregators_) a->Resize(groups);
  const std::span<const std::string_view> keys = table_.keys();
  for (int64_t begin = 0; begin < groups; begin += max_rows) {
    const int64_t end = std::min(groups, begin + max_rows);
    std::vector<Array> columns =
        encoder_.Decode(keys.subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
    for (auto& a : aggregators_) columns.push_back(a->FinishSlice(begin, end));
    emit(RecordBatch::Make(output_schema_, std::move(columns), end - begin));
  }
}

int64_t HashAggregation::ByteSize() const {
  int64_t bytes = table_.ByteSize() + direct_.ByteSize() + ScratchBytes();
  for (const auto& a : aggregators_) bytes += a->ByteSize();
  return bytes;
}

}  // namespace sluice
