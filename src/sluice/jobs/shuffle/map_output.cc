#include "sluice/jobs/shuffle/map_output.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/hash.h"
#include "sluice/table/take.h"

namespace sluice::shuffle {

std::string MapDataFileOf(int64_t attempt) { return fmt::format("data-a{}.parquet", attempt); }

std::string MapIndex::ToJson() const {
  nlohmann::json j;
  j["data_file"] = data_file;
  j["rows"] = rows;
  j["bytes"] = bytes;
  j["row_groups"] = row_groups;
  return j.dump();
}

MapIndex MapIndex::FromJson(const std::string& json, const std::string& where) {
  MapIndex index;
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    index.data_file = j.value("data_file", std::string(kMapDataFile));
    j.at("rows").get_to(index.rows);
    j.at("bytes").get_to(index.bytes);
    j.at("row_groups").get_to(index.row_groups);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidData("a map output's index is damaged: {}", e.what()).With("file", where);
  }
  if (index.bytes.size() != index.rows.size() || index.row_groups.size() != index.rows.size()) {
    throw InvalidData("a map output's index lists slices of different counts").With("file", where);
  }
  return index;
}

int SliceOfHash(uint64_t hash, int partitions) {
  return static_cast<int>(((hash >> 32) * static_cast<uint64_t>(partitions)) >> 32);
}

namespace {

// Folds value hash v into row hash h: a rotation, then a multiply by an odd constant, whose high
// bits (those SliceOfHash reads) depend on every bit of both. The value hashes are XXH64 outputs,
// well mixed already.
inline uint64_t Fold(uint64_t h, uint64_t v) {
  return ((h << 23 | h >> 41) ^ v) * 0x9E3779B97F4A7C15ULL;
}

}  // namespace

void SliceHashes(const RecordBatch& batch, std::span<const int> columns,
                 std::vector<uint64_t>& out) {
  SLUICE_CHECK(!columns.empty());
  const auto rows = static_cast<size_t>(batch.num_rows());
  out.assign(rows, 0);
  std::vector<uint64_t> values(rows);
  for (int c : columns) {
    HashArray(batch.column(c), values);
    for (size_t r = 0; r < rows; ++r) out[r] = Fold(out[r], values[r]);
  }
}

parquet::CompressionCodec MapOutputCodec(const std::string& work_dir) {
  return fs::IsS3Url(work_dir) ? parquet::CompressionCodec::kLz4Raw
                               : parquet::CompressionCodec::kUncompressed;
}

MapOutputWriter::MapOutputWriter(const std::filesystem::path& dir, std::string data_file,
                                 std::shared_ptr<const Schema> schema, std::vector<int> key_columns,
                                 int partitions, int64_t flush_bytes,
                                 parquet::CompressionCodec codec)
    : dir_(dir),
      key_columns_(std::move(key_columns)),
      flush_bytes_(flush_bytes),
      pending_(static_cast<size_t>(partitions)) {
  SLUICE_CHECK_GT(partitions, 0);
  index_.rows.assign(pending_.size(), 0);
  index_.bytes.assign(pending_.size(), 0);
  index_.row_groups.resize(pending_.size());
  index_.data_file = std::move(data_file);
  parquet::ParquetWriteOptions options;
  options.codec = codec;
  options.sync = false;  // the output commit makes the attempt's directory durable
  options.row_group_rows = std::numeric_limits<int64_t>::max();
  options.row_group_bytes = std::numeric_limits<int64_t>::max();  // a slice ends its row group
  // Written once and read once, as spill runs are: no statistics, no dictionaries to try.
  options.column.statistics = false;
  options.column.dictionary = false;
  writer_ =
      parquet::ParquetWriter::Open((dir_ / index_.data_file).string(), std::move(schema), options);
}

MapOutputWriter::~MapOutputWriter() = default;

void MapOutputWriter::Add(const RecordBatch& batch) {
  if (batch.num_rows() == 0) return;
  if (key_columns_.empty()) {  // one group over all rows: every row goes to slice 0
    Keep(0, batch);
  } else {
    KeepBySlice(batch);
  }
  if (pending_bytes_ >= flush_bytes_) Flush();
}

void MapOutputWriter::Keep(size_t slice, RecordBatch rows) {
  index_.rows[slice] += rows.num_rows();
  index_.bytes[slice] += parquet::BatchDataBytes(rows);
  pending_bytes_ += ByteSize(rows);
  pending_[slice].push_back(std::move(rows));
}

void MapOutputWriter::KeepBySlice(const RecordBatch& batch) {
  std::vector<uint64_t> hashes;
  SliceHashes(batch, key_columns_, hashes);
  std::vector<int> slices(hashes.size());
  for (size_t r = 0; r < hashes.size(); ++r) {
    slices[r] = SliceOfHash(hashes[r], static_cast<int>(pending_.size()));
  }
  KeepSliced(batch, slices);
}

void MapOutputWriter::AddSliced(const RecordBatch& batch, std::span<const int> slices) {
  if (batch.num_rows() == 0) return;
  KeepSliced(batch, slices);
  if (pending_bytes_ >= flush_bytes_) Flush();
}

void MapOutputWriter::KeepSliced(const RecordBatch& batch, std::span<const int> slices) {
  SLUICE_CHECK_EQ(static_cast<int64_t>(slices.size()), batch.num_rows());
  // The rows in slice order by one counting sort and one gather, then a zero-copy slice each: a
  // gather per slice cost an allocation per column and slice (512 slices: most of them a few
  // rows).
  std::vector<int64_t> starts(pending_.size() + 1, 0);
  for (int s : slices) ++starts[static_cast<size_t>(s) + 1];
  for (size_t s = 1; s < starts.size(); ++s) starts[s] += starts[s - 1];
  std::vector<int64_t> order(slices.size());
  std::vector<int64_t> next(starts.begin(), starts.end() - 1);
  for (size_t r = 0; r < slices.size(); ++r) {
    order[static_cast<size_t>(next[static_cast<size_t>(slices[r])]++)] = static_cast<int64_t>(r);
  }
  const RecordBatch sorted = Take(batch, order);
  pending_bytes_ += ByteSize(sorted);
  for (size_t s = 0; s < pending_.size(); ++s) {
    const int64_t rows = starts[s + 1] - starts[s];
    if (rows == 0) continue;
    RecordBatch piece = sorted.Slice(starts[s], rows);
    index_.rows[s] += rows;
    index_.bytes[s] += parquet::BatchDataBytes(piece);
    pending_[s].push_back(std::move(piece));
  }
}

void MapOutputWriter::Flush() {
  for (size_t s = 0; s < pending_.size(); ++s) {
    if (pending_[s].empty()) continue;
    for (const RecordBatch& piece : pending_[s]) writer_->Write(piece);
    writer_->EndRowGroup();
    index_.row_groups[s].push_back(row_groups_++);
    pending_[s].clear();
  }
  pending_bytes_ = 0;
}

MapIndex MapOutputWriter::Finish() {
  Flush();
  writer_->Close();
  const std::string json = index_.ToJson();
  fs::WriteWholeFile(*fs::LocalFileSystem(), (dir_ / kMapIndexFile).string(), json);
  return index_;
}

}  // namespace sluice::shuffle
