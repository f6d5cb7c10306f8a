#include "sluice/ops/join/join_table.h"

#include <algorithm>
#include <atomic>

#include "sluice/base/check.h"
#include "sluice/ops/join/join_build_size.h"
#include "sluice/ops/join/join_gather.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice {
namespace {

// Keys are encoded and hashed this many rows at a time (bounded scratch).
constexpr int64_t kChunkRows = 1 << 14;
constexpr int64_t kHugePageBytes = int64_t{2} << 20;
constexpr int64_t kLargeTableBytes = int64_t{4} << 20;

RecordBatch EmptyBatch(const std::shared_ptr<const Schema>& schema) {
  std::vector<Array> columns;
  for (const Field& f : schema->fields()) columns.push_back(MakeBuilder(f.type)->Finish());
  return RecordBatch::Make(schema, std::move(columns), 0);
}

// Encodes and hashes the key columns of rows [offset, offset + length) of `batch`.
struct KeyChunk {
  explicit KeyChunk(std::vector<DataType> types) : encoder(std::move(types)) {}

  void Load(const RecordBatch& batch, const std::vector<int>& keys, int64_t offset,
            int64_t length) {
    RecordBatch slice = batch.Slice(offset, length);
    columns.clear();
    bool any_nulls = false;
    for (int c : keys) {
      columns.push_back(&slice.column(c));
      any_nulls = any_nulls || slice.column(c).null_count() > 0;
    }
    encoder.Encode(columns);
    hashes.resize(static_cast<size_t>(length));
    HashRows(slice, keys, hashes);
    has_null.assign(static_cast<size_t>(length), 0);
    if (any_nulls) {
      for (const Array* a : columns) {
        if (a->null_count() == 0) continue;
        for (int64_t r = 0; r < length; ++r) has_null[static_cast<size_t>(r)] |= a->IsNull(r);
      }
    }
  }

  KeyEncoder encoder;
  std::vector<const Array*> columns;
  std::vector<uint64_t> hashes;
  std::vector<uint8_t> has_null;
};

// The batches as one, concatenated column by column: each column's pieces are released as soon
// as its copy is made, so at most one column is held twice.
RecordBatch ConcatReleasing(const std::shared_ptr<const Schema>& schema,
                            std::vector<RecordBatch> batches) {
  if (batches.empty()) return EmptyBatch(schema);
  if (batches.size() == 1) return std::move(batches[0]);
  const int columns = schema->num_fields();
  std::vector<std::vector<Array>> pieces(static_cast<size_t>(columns));
  int64_t rows = 0;
  for (const RecordBatch& batch : batches) {
    rows += batch.num_rows();
    for (int c = 0; c < columns; ++c) pieces[static_cast<size_t>(c)].push_back(batch.column(c));
  }
  std::vector<RecordBatch>().swap(batches);
  std::vector<Array> out;
  out.reserve(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    std::vector<Array>& column = pieces[static_cast<size_t>(c)];
    out.push_back(ConcatArrays(column, Allocator::Default(), schema->field(c).name));
    std::vector<Array>().swap(column);
  }
  return RecordBatch::Make(schema, std::move(out), rows);
}

// Resident bytes of a batch's distinct buffers (huge pages counted whole).
int64_t BatchResidentBytes(const RecordBatch& batch) {
  int64_t total = 0;
  for (const Buffer* buffer : DistinctBuffers(batch)) total += ResidentBytes(buffer->capacity());
  return total;
}

std::vector<DataType> KeyTypes(const Schema& schema, const std::vector<int>& keys) {
  std::vector<DataType> types;
  for (int c : keys) types.push_back(schema.field(c).type);
  return types;
}

}  // namespace

JoinTable::JoinTable(const JoinPlan& plan, JoinSide build_side, std::vector<RecordBatch> build,
                     int64_t output_batch_bytes)
    : plan_(&plan),
      build_side_(build_side),
      build_(ConcatReleasing(plan.input_schema(build_side), std::move(build))),
      output_batch_bytes_(output_batch_bytes) {
  const std::vector<int>& keys = plan.key_columns(build_side);
  const int64_t rows = build_.num_rows();
  if (rows > 0) build_row_bytes_ = (sluice::ByteSize(build_) + rows - 1) / rows;
  // Room for every row being a distinct key, so nothing grows (and copies) while building.
  table_.Reserve(rows);
  head_.reserve(static_cast<size_t>(rows));
  next_.assign(static_cast<size_t>(rows), -1);
  if (TracksMatches(plan, build_side)) matched_.assign(static_cast<size_t>(rows), 0);
  KeyChunk chunk(KeyTypes(*plan.input_schema(build_side), keys));
  for (int64_t offset = 0; offset < rows; offset += kChunkRows) {
    const int64_t length = std::min(kChunkRows, rows - offset);
    chunk.Load(build_, keys, offset, length);
    for (int64_t r = 0; r < length; ++r) {
      if (chunk.has_null[static_cast<size_t>(r)]) continue;
      const uint32_t group =
          table_.FindOrInsert(chunk.hashes[static_cast<size_t>(r)], chunk.encoder.key(r));
      if (group == head_.size()) head_.push_back(-1);
      next_[static_cast<size_t>(offset + r)] = head_[group];
      head_[group] = offset + r;
    }
  }
}

int64_t JoinTable::ByteSize() const {
  // The GroupTable's slots, key views, hashes and arena blocks may each sit on huge pages.
  const int64_t table = table_.ByteSize();
  const int64_t table_slack = table >= kLargeTableBytes ? 4 * kHugePageBytes : 0;
  return BatchResidentBytes(build_) + table + table_slack +
         ResidentBytes(static_cast<int64_t>(head_.capacity() * sizeof(int64_t))) +
         ResidentBytes(static_cast<int64_t>(next_.capacity() * sizeof(int64_t))) +
         ResidentBytes(static_cast<int64_t>(matched_.capacity()));
}

int64_t JoinTable::OutputRows(int64_t probe_row_bytes) const {
  // The row indices (16 bytes a row) never take more than the batch either.
  const int64_t row_bytes = std::max<int64_t>(build_row_bytes_ + probe_row_bytes, 16);
  return std::clamp(output_batch_bytes_ / row_bytes, kMinOutputRows, kOutputRows);
}

RecordBatch JoinTable::Output(const RecordBatch& probe, std::span<const int64_t> probe_rows,
                              std::span<const int64_t> build_rows) const {
  const bool build_left = build_side_ == JoinSide::kLeft;
  const RecordBatch& left = build_left ? build_ : probe;
  const RecordBatch& right = build_left ? probe : build_;
  std::span<const int64_t> left_rows = build_left ? build_rows : probe_rows;
  std::span<const int64_t> right_rows = build_left ? probe_rows : build_rows;
  std::vector<Array> columns;
  const auto& sources = plan_->output_columns();
  columns.reserve(sources.size());
  for (const JoinPlan::OutputColumn& source : sources) {
    if (source.key >= 0) {
      const auto k = static_cast<size_t>(source.key);
      columns.push_back(CoalesceTake(left.column(plan_->key_columns(JoinSide::kLeft)[k]), left_rows,
                                     right.column(plan_->key_columns(JoinSide::kRight)[k]),
                                     right_rows));
    } else if (source.side == JoinSide::kLeft) {
      columns.push_back(TakeOrNull(left.column(source.column), left_rows));
    } else {
      columns.push_back(TakeOrNull(right.column(source.column), right_rows));
    }
  }
  return RecordBatch::Make(plan_->output_schema(), std::move(columns),
                           static_cast<int64_t>(probe_rows.size()));
}

void JoinTable::Probe(const RecordBatch& probe, const Emit& emit) const {
  const JoinSide probe_side = Other(build_side_);
  const std::vector<int>& keys = plan_->key_columns(probe_side);
  const bool preserve_probe = plan_->Preserves(probe_side);
  const bool probe_semi = plan_->kind() == JoinKind::kSemi && probe_side == JoinSide::kLeft;
  const bool probe_anti = plan_->kind() == JoinKind::kAnti && probe_side == JoinSide::kLeft;
  const bool pairs = !plan_->semi_or_anti();
  const bool track = !matched_.empty();
  const int64_t rows = probe.num_rows();
  const int64_t max_rows = OutputRows(rows > 0 ? (sluice::ByteSize(probe) + rows - 1) / rows : 0);
  std::vector<int64_t> probe_rows;
  std::vector<int64_t> build_rows;
  probe_rows.reserve(static_cast<size_t>(max_rows));
  build_rows.reserve(static_cast<size_t>(max_rows));
  auto flush = [&] {
    if (probe_rows.empty()) return;
    emit(Output(probe, probe_rows, build_rows));
    probe_rows.clear();
    build_rows.clear();
  };
  KeyChunk chunk(KeyTypes(*plan_->input_schema(probe_side), keys));
  for (int64_t offset = 0; offset < rows; offset += kChunkRows) {
    const int64_t length = std::min(kChunkRows, rows - offset);
    chunk.Load(probe, keys, offset, length);
    for (int64_t r = 0; r < length; ++r) {
      const int64_t row = offset + r;
      const int64_t group =
          chunk.has_null[static_cast<size_t>(r)]
              ? -1
              : table_.Find(chunk.hashes[static_cast<size_t>(r)], chunk.encoder.key(r));
      if (group < 0) {
        if (preserve_probe || probe_anti) {
          probe_rows.push_back(row);
          build_rows.push_back(-1);
        }
      } else if (probe_semi) {
        probe_rows.push_back(row);
        build_rows.push_back(-1);
      } else if (pairs || track) {
        for (int64_t b = head_[static_cast<size_t>(group)]; b >= 0;
             b = next_[static_cast<size_t>(b)]) {
          if (pairs) {
            probe_rows.push_back(row);
            build_rows.push_back(b);
          }
          if (track) {
            std::atomic_ref<uint8_t> flag(matched_[static_cast<size_t>(b)]);
            if (flag.load(std::memory_order_relaxed) == 0) {
              flag.store(1, std::memory_order_relaxed);
            }
          }
        }
      }
      if (static_cast<int64_t>(probe_rows.size()) >= max_rows) flush();
    }
  }
  flush();
}

void JoinTable::EmitBuildRows(const Emit& emit) const {
  if (matched_.empty()) return;
  // Outer and anti joins owe the unmatched rows, a semi join the matched ones.
  const uint8_t wanted = plan_->kind() == JoinKind::kSemi ? 1 : 0;
  const RecordBatch probe = EmptyBatch(plan_->input_schema(Other(build_side_)));
  const int64_t max_rows = OutputRows(0);
  std::vector<int64_t> build_rows;
  std::vector<int64_t> probe_rows;
  auto flush = [&] {
    if (build_rows.empty()) return;
    emit(Output(probe, probe_rows, build_rows));
    build_rows.clear();
    probe_rows.clear();
  };
  for (int64_t b = 0; b < build_.num_rows(); ++b) {
    if (matched_[static_cast<size_t>(b)] != wanted) continue;
    build_rows.push_back(b);
    probe_rows.push_back(-1);
    if (static_cast<int64_t>(build_rows.size()) >= max_rows) flush();
  }
  flush();
}

void JoinTable::MergeMatched(std::span<const uint8_t> other) {
  SLUICE_CHECK_EQ(other.size(), matched_.size());
  for (size_t i = 0; i < other.size(); ++i) matched_[i] |= other[i];
}

}  // namespace sluice
