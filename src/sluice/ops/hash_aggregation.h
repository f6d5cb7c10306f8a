// HashAggregation: the state of a group-by (keys plus aggregate calls) over the rows consumed so
// far: a GroupTable of the keys and one Aggregator per call. Threads each build one (a partial
// state), seal it, and the partials are merged partition by partition: partition p of the final
// result merges only the groups whose key hash falls in p, so P partitions merge in parallel and
// no merge ever touches all groups at once. A row's hash is XXH64 of its encoded key (one call
// per row however many key columns; HashKeys gives it to whoever partitions rows for this
// state); the partition of a hash is PartitionOf below (its high bits, while the table probes
// with its low bits).
//
// Thread safety: one thread mutates a HashAggregation; a sealed one is read-only and may be
// merged from by several threads at once (each into its own target).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/ops/aggregate.h"
#include "sluice/ops/dictionary_key_index.h"
#include "sluice/ops/direct_key_index.h"
#include "sluice/ops/group_table.h"
#include "sluice/ops/key_encoder.h"
#include "sluice/table/record_batch.h"

namespace sluice {

// A user aggregate: makes the aggregator for the call's input types.
using AggregatorFactory =
    std::function<std::unique_ptr<Aggregator>(std::span<const DataType> input_types)>;

struct GroupBySpec {
  std::vector<std::string> keys;  // may be empty: one group over all rows
  std::vector<AggregateCall> aggregates;
  // Functions beyond the built-in ones, by name.
  std::vector<std::pair<std::string, AggregatorFactory>> user_functions;
};

// The shuffle partition of a row hash: high 32 bits scaled to [0, partitions).
inline int PartitionOf(uint64_t hash, int partitions) {
  return static_cast<int>(((hash >> 32) * static_cast<uint64_t>(partitions)) >> 32);
}

// A share of the hash space, for a merge that runs in several passes: the hashes whose partition
// among base x count partitions is index modulo count. Since partitions nest (partition q of
// base x count lies in partition q / count of base), a slice of partition p of base partitions
// holds the hashes of p that fall in it, and the two halves of a slice (Halves) split it in two.
struct HashSlice {
  int base = 1;
  int index = 0;
  int count = 1;  // 1: every hash
  bool Contains(uint64_t hash) const {
    return count == 1 || PartitionOf(hash, base * count) % count == index;
  }
  std::pair<HashSlice, HashSlice> Halves() const {
    const std::vector<HashSlice> halves = Split(2);
    return {halves[0], halves[1]};
  }
  // `ways` slices that together hold this one's hashes: partition q of base x count lies in
  // q * ways ... q * ways + ways - 1 of base x count x ways.
  std::vector<HashSlice> Split(int ways) const {
    std::vector<HashSlice> parts;
    for (int j = 0; j < ways; ++j) parts.push_back(HashSlice{base, index * ways + j, count * ways});
    return parts;
  }
};

class HashAggregation {
 public:
  // Resolves the spec against the input schema: NotFound naming an unknown column,
  // InvalidArgument naming a nested key column (nested columns are aggregate inputs only:
  // first, last, count), InvalidArgument or NotSupported (from MakeAggregator) naming a bad
  // aggregate.
  HashAggregation(const Schema& input, const GroupBySpec& spec);

  // A fresh state of the same query (a thread's partial).
  std::unique_ptr<HashAggregation> NewEmpty() const;

  // Adds a batch of the input schema; positions are its rows' places in the input stream (first
  // and last use them).
  void Consume(const RecordBatch& batch, RowPositions positions);
  // Adds only the rows whose key already is a group, and appends the indices of the others to
  // `missing`: a state whose memory is spent keeps absorbing rows of the groups it has while
  // the rest go to a spill (hybrid hash aggregation, as PostgreSQL spills HashAgg).
  void ConsumeExisting(const RecordBatch& batch, RowPositions positions,
                       std::vector<int64_t>& missing);
  // The key hash of each row of `batch` (as the table and partitions use it) into `out`.
  void HashKeys(const RecordBatch& batch, std::span<uint64_t> out);
  // The key hash of each row of the last batch given to ConsumeExisting.
  std::span<const uint64_t> row_hashes() const { return hashes_; }
  // Whether the result depends on rows' stream positions (first, last, user aggregates), so
  // spilled rows must carry theirs.
  bool order_sensitive() const { return order_sensitive_; }
  // The input columns the query reads (keys and aggregate inputs), ascending: all a spilled row
  // needs to carry.
  std::vector<int> input_columns() const;

  // Groups this state into `partitions` partitions; afterwards it is read-only. Frees the scratch
  // space of consuming batches.
  void Seal(int partitions);
  // Frees the scratch space of consuming batches (sized by the largest batch consumed).
  void ReleaseScratch();
  // Merges the groups of sealed `other` that fall in `partition`. The keys are borrowed, not
  // copied (a high-cardinality merge would copy every key once more): `other` must outlive this
  // state's Finish.
  void MergePartition(const HashAggregation& other, int partition);
  // The groups of sealed `other` in `partition` whose hash falls in `slice` (the partition's own
  // list, or `scratch` filled with them), and merging those (keys borrowed as above).
  std::span<const uint32_t> SliceGroups(int partition, const HashSlice& slice,
                                        std::vector<uint32_t>& scratch) const;
  void MergeGroups(const HashAggregation& other, std::span<const uint32_t> groups);
  // Groups of a sealed state in `partition`.
  int64_t partition_groups(int partition) const;
  // Room for `groups` groups (a merge sums partition_groups of its inputs first), in the table
  // and the aggregates.
  void Reserve(int64_t groups);

  // At most how much ByteSize, and the memory held on the way, grows while the call runs: what
  // a caller inside a memory budget charges before making it.
  int64_t ConsumeGrowthBound(const RecordBatch& batch) const;
  int64_t ConsumeExistingGrowthBound(const RecordBatch& batch) const;
  int64_t MergeGrowthBound(const HashAggregation& other, std::span<const uint32_t> groups) const;
  int64_t ReserveGrowthBound(int64_t groups) const;
  // About what a group costs in a state that holds many (table, key of `key_bytes`, aggregates
  // before any values they keep): for estimates, not bounds.
  int64_t EstimatedGroupBytes(double key_bytes) const;
  // The average bytes of a group's encoded key (16 before any group).
  double average_key_bytes() const { return table_.average_key_bytes(); }

  // Keys then aggregates, one row per group; the state is spent afterwards.
  RecordBatch Finish();
  // The same rows in group order as batches of at most max_rows rows, each handed to emit before
  // the next is built, so a large state's output is never whole in memory beside it (no call for
  // no groups); the state is spent afterwards.
  void Finish(int64_t max_rows, const std::function<void(RecordBatch)>& emit);
  const Schema& output_schema() const { return *output_schema_; }

  int64_t num_groups() const { return table_.num_groups(); }
  // Memory held: table, aggregates and the scratch space of consuming batches.
  int64_t ByteSize() const;

 private:
  HashAggregation(const HashAggregation& prototype, int);

  void ResizeAggregators();
  // Growth of the aggregates' per-group state to hold `groups` groups.
  int64_t ResizeGrowthBound(int64_t groups) const;
  // Growth of the scratch space for a batch of `rows` rows with `key_bytes` of encoded keys.
  int64_t ScratchGrowthBound(int64_t rows, int64_t key_bytes) const;
  int64_t ScratchBytes() const;
  int64_t UpdateGrowthBound(const RecordBatch& batch) const;
  // The group of each row into groups_, inserting new keys: through the dictionary or the direct
  // index where one serves, the hash table for the rest.
  void FindGroups(const RecordBatch& batch);
  void FindGroupsByDictionary();
  // The batch's key columns into key_arrays_, dictionary-encoded ones decoded (into
  // decoded_keys_) unless kept.
  void GatherKeys(const RecordBatch& batch, bool keep_dictionaries);
  // Hashes and encodes the batch's keys into hashes_ and keys_.
  void EncodeKeys(const RecordBatch& batch);
  void EncodeKeys(std::span<const Array* const> keys);
  void UpdateAggregators(const RecordBatch& batch, std::span<const uint32_t> groups,
                         RowPositions positions);

  std::vector<int> key_columns_;
  std::vector<std::vector<int>> aggregate_columns_;
  std::shared_ptr<const Schema> output_schema_;
  KeyEncoder encoder_;
  GroupTable table_;
  DirectKeyIndex direct_;          // in front of table_ for small-integer keys
  DictionaryKeyIndex dictionary_;  // in front of table_ for dictionary-encoded keys
  std::vector<std::unique_ptr<Aggregator>> aggregators_;
  int64_t sized_groups_ = 0;
  int64_t group_bytes_ = 0;  // the aggregates' state per group, measured once
  bool order_sensitive_ = false;
  // After Seal: the group ids of each partition.
  int partitions_ = 0;
  std::vector<std::vector<uint32_t>> partition_groups_;
  // Scratch.
  std::vector<uint64_t> hashes_;
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> groups_;
  std::vector<const Array*> key_arrays_;
  std::vector<Array> taken_keys_;
  std::vector<Array> decoded_keys_;
  std::vector<int64_t> missing_;
  std::vector<int64_t> present_;
  std::vector<int64_t> present_positions_;
};

}  // namespace sluice
