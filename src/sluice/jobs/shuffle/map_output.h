// A shuffle's map output: one map task's rows cut into slices by a hash of the key columns,
// written as one Parquet file (kMapDataFile) whose row groups each hold rows of one slice, and an
// index (kMapIndexFile) saying per slice which row groups hold it, its rows and its bytes of
// column data. Rows are buffered up to flush_bytes, then each slice's buffered rows become one row
// group: the file is written in one pass in bounded memory, and a slice's rows keep their stream
// order (distinct keeps the first row of a key). A reducer reads the footer and its slices' row
// groups, one ranged read per run of adjacent ones (slice_scan.h); the barrier sums the indexes'
// bytes to coalesce slices into tasks.
//
// Thread safety: a MapOutputWriter is used by one thread at a time; MapIndex is a value type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/io/parquet/format_enums.h"
#include "sluice/table/record_batch.h"

namespace sluice::parquet {
class ParquetWriter;
}

namespace sluice::shuffle {

inline constexpr char kMapDataFile[] = "data.parquet";
inline constexpr char kMapIndexFile[] = "index.json";

// The data file of a map partition's attempt: "data-a<attempt>.parquet". A rerun of a map
// partition (its output went missing) writes a file of another name, which its index names, so
// that a reducer holding the old index finds the old file or nothing, never the new one's bytes
// at the old footer's offsets.
std::string MapDataFileOf(int64_t attempt);

struct MapIndex {
  std::string data_file = kMapDataFile;      // beside the index
  std::vector<int64_t> rows;                 // per slice
  std::vector<int64_t> bytes;                // per slice, its column data (BatchDataBytes)
  std::vector<std::vector<int>> row_groups;  // per slice, ascending

  std::string ToJson() const;
  // InvalidData naming `where` (the index's path) when the text is not an index.
  static MapIndex FromJson(const std::string& json, const std::string& where);
};

// The slice of a row hash, in [0, partitions): the high bits, so that it does not follow the
// hash bits the reducer's own group-by partitions by.
int SliceOfHash(uint64_t hash, int partitions);

// The hash that slices a map task's rows: each key column's value hashes as HashArray gives
// them (equal values hash equal: -0.0 and 0.0, every NaN, nulls), folded by a multiply-xor mix
// instead of HashRows' XXH64 of each pair, which was half of the cost of slicing six keys. Only
// map outputs are cut by it, within one job, so it is no format anything else reads.
void SliceHashes(const RecordBatch& batch, std::span<const int> columns,
                 std::vector<uint64_t>& out);

// How map outputs in `work_dir` are compressed: LZ4 where they cross the network (s3://), which
// halves the bytes sent; none on a local disk, where encoding and decoding them would cost more
// CPU than the bytes saved.
parquet::CompressionCodec MapOutputCodec(const std::string& work_dir);

class MapOutputWriter {
 public:
  // dir: the attempt's directory; data_file: the data file's name there (MapDataFileOf).
  // key_columns: indexes into schema; none puts every row in slice 0 (a group-by without keys
  // has one group).
  MapOutputWriter(const std::filesystem::path& dir, std::string data_file,
                  std::shared_ptr<const Schema> schema, std::vector<int> key_columns,
                  int partitions, int64_t flush_bytes, parquet::CompressionCodec codec);
  ~MapOutputWriter();
  MapOutputWriter(const MapOutputWriter&) = delete;
  MapOutputWriter& operator=(const MapOutputWriter&) = delete;

  void Add(const RecordBatch& batch);
  // The batch's rows into the given slices (one per row, each < partitions).
  void AddSliced(const RecordBatch& batch, std::span<const int> slices);
  // Writes what is buffered, the data file's footer and the index; returns the index.
  MapIndex Finish();

 private:
  void Flush();
  void Keep(size_t slice, RecordBatch rows);
  void KeepBySlice(const RecordBatch& batch);
  void KeepSliced(const RecordBatch& batch, std::span<const int> slices);

  std::filesystem::path dir_;
  std::vector<int> key_columns_;
  int64_t flush_bytes_;
  std::unique_ptr<parquet::ParquetWriter> writer_;
  std::vector<std::vector<RecordBatch>> pending_;  // per slice
  int64_t pending_bytes_ = 0;
  int row_groups_ = 0;
  MapIndex index_;
};

}  // namespace sluice::shuffle
