// ChunkCache: computed chunk outputs kept by cache key, so a re-run reuses every chunk whose key
// matches and recomputes only the others.
//
// The key of a chunk is 32 hex digits: XXH64 with seeds 0 and 1 over the JSON text of
//   ["sluice-batched-chunk/1", task name, task version, [grouping columns], N, hash version,
//    chunk index, {input name: fingerprint of the chunk's rows of that input, ...}]
// where the fingerprint is the order-independent RowSetFingerprint of the rows the split phase put
// into the chunk (row_set_fingerprint.h). So the key changes exactly when the task's identity,
// the chunking, or the chunk's own input rows change: editing one input file changes only the
// chunks its changed rows hash into, and changing N or the grouping columns changes every key.
// (Fingerprints are computed from content, not file names or times: a touched but identical file
// keeps its chunks, a file rewritten in another row order too.)
//
// Layout, under the cache's directory (local, or an s3:// prefix: the cache lives where the
// output does, through fs::FileSystemFor): <key>.parquet (the chunk's output; absent when the
// task returned no schema) and <key>.json (the entry: chunk, rows, bytes, schema text), written
// last, so an entry exists only once its data is complete. Each file appears whole (rename
// locally, a completed upload on S3). Entries are immutable; any attempt writing a key writes an
// equally valid output, so concurrent writers need no fencing.
//
// A step after the task (batched_step.h) has an entry of its own beside the chunk's, <step
// key>.json ({"step": name, "chunk": N}, no data), keyed by the step's name and version and the
// chunk's key: it exists once the step succeeded for that output.
//
// Entries found are remembered (they never change), so the phases of a run that ask for the
// same key again cost no more requests to an object store.
//
// Thread safety: Find/Put/Store/DataPath may be called from any thread; Prune while nothing
// writes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "sluice/jobs/batch/chunking.h"

namespace sluice::batch {

std::string ChunkCacheKey(const std::string& task_name, const std::string& task_version,
                          const ChunkingConfig& chunking, int chunk,
                          const std::map<std::string, std::string>& input_fingerprints);

// The key of a step's entry for one chunk's output (chunk_key).
std::string StepCacheKey(const std::string& step_name, const std::string& step_version,
                         const std::string& chunk_key);

struct CacheEntry {
  std::string key;
  int chunk = 0;
  int64_t rows = 0;
  bool has_file = false;
  int64_t bytes = 0;
  std::string schema;  // Schema::ToString of the output; empty without a file
};

class ChunkCache {
 public:
  // Creates a local directory; IoError naming it on failure.
  explicit ChunkCache(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string DataPath(const std::string& key) const;
  // The entry when it is complete (its JSON parses and its data file, if any, has its size).
  // Errors other than a missing entry (an unreachable store) are thrown.
  std::optional<CacheEntry> Find(const std::string& key) const;
  // Moves a finished local Parquet file in as key's data (batch_location.h MoveLocalFileInto);
  // returns its size. Put the entry afterwards.
  int64_t Store(const std::string& key, const std::string& local_file) const;
  void Put(const CacheEntry& entry) const;
  // Whether an entry (chunk or step) for key was found or stored by this cache object, without
  // asking the store.
  bool Remembers(const std::string& key) const;
  // Whether the step's entry for step_key exists; errors as for Find.
  bool HasStep(const std::string& step_key) const;
  void PutStep(const std::string& step_key, const std::string& step_name, int chunk) const;
  // Deletes entries (and stray temporary files) whose key is not in keep; returns how many.
  int64_t Prune(const std::set<std::string>& keep) const;

 private:
  std::string dir_;
  mutable std::mutex mu_;
  mutable std::map<std::string, CacheEntry> found_;  // guarded by mu_
  mutable std::set<std::string> steps_found_;        // guarded by mu_
};

}  // namespace sluice::batch
