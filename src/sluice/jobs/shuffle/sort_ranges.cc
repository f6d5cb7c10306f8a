#include "sluice/jobs/shuffle/sort_ranges.h"

#include <algorithm>
#include <cstring>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/job_stages.h"
#include "sluice/jobs/shuffle/shuffle_plan.h"
#include "sluice/ops/sort/sort_key.h"
#include "sluice/ops/table_scan.h"

namespace sluice::shuffle {
namespace {

constexpr size_t kUnitsPerFile = 4;
constexpr int64_t kKeysPerUnit = 256;

// Up to kKeysPerUnit keys, evenly spaced, of each of up to kUnitsPerFile spread row groups.
void SampleFile(const ShuffleSpec& spec, const std::string& file, const std::vector<SortKey>& keys,
                std::vector<std::string>& out) {
  std::vector<std::string> columns;
  for (const SortKey& k : keys) columns.push_back(k.column);
  auto scan = TableScan::Open({file}, columns, spec.where);
  const std::vector<ScanUnit>& units = scan->units();
  const SortKeyEncoder encoder(*scan->schema(), keys);
  const size_t n = units.size();
  for (size_t i = 0; i < std::min(n, kUnitsPerFile); ++i) {
    const size_t u = n <= kUnitsPerFile ? i : i * (n - 1) / (kUnitsPerFile - 1);
    for (const RecordBatch& batch : scan->Read(units[u])) {
      const Array encoded = encoder.Encode(batch, false);
      const int64_t step = std::max<int64_t>(1, batch.num_rows() / kKeysPerUnit);
      for (int64_t r = 0; r < batch.num_rows(); r += step) {
        out.emplace_back(encoded.BinaryValue(r));
      }
    }
  }
}

std::string Serialize(const std::vector<std::string>& keys) {
  std::string bytes;
  for (const std::string& k : keys) {
    const uint32_t size = static_cast<uint32_t>(k.size());
    bytes.append(reinterpret_cast<const char*>(&size), sizeof size);
    bytes += k;
  }
  return bytes;
}

}  // namespace

void WriteSortBoundaries(const ShuffleSpec& spec, const std::filesystem::path& dir) {
  const std::vector<SortKey> keys = ParseSortKeys(spec.order_by);
  std::vector<std::string> sample;
  for (const std::string& file : spec.inputs) SampleFile(spec, file, keys, sample);
  std::sort(sample.begin(), sample.end(),
            [](const std::string& a, const std::string& b) { return CompareSortKeys(a, b) < 0; });
  std::vector<std::string> boundaries;
  for (int r = 1; r < spec.partitions && !sample.empty(); ++r) {
    const std::string& q =
        sample[sample.size() * static_cast<size_t>(r) / static_cast<size_t>(spec.partitions)];
    if (boundaries.empty() || CompareSortKeys(boundaries.back(), q) < 0) boundaries.push_back(q);
  }
  const std::string bytes = Serialize(boundaries);
  fs::WriteWholeFile(*fs::LocalFileSystem(), (dir / kBoundariesFile).string(), bytes);
}

std::vector<std::string> ReadSortBoundaries(const ShuffleSpec& spec) {
  const std::string path = CommittedFile(spec, jobs::StageKey(kSampleStage, 0), kBoundariesFile);
  const std::string bytes = fs::ReadWholeFile(*fs::FileSystemFor(path), path);
  std::vector<std::string> keys;
  for (size_t at = 0; at < bytes.size();) {
    uint32_t size = 0;
    if (bytes.size() - at < sizeof size) {
      throw InvalidData("a sort's sample boundaries are damaged").With("file", path);
    }
    std::memcpy(&size, bytes.data() + at, sizeof size);
    at += sizeof size;
    if (bytes.size() - at < size) {
      throw InvalidData("a sort's sample boundaries are damaged").With("file", path);
    }
    keys.emplace_back(bytes.substr(at, size));
    at += size;
  }
  return keys;
}

std::vector<int> RangeSlices(const SortKeyEncoder& encoder, std::span<const std::string> boundaries,
                             const RecordBatch& batch) {
  const Array encoded = encoder.Encode(batch, false);
  std::vector<int> slices(static_cast<size_t>(batch.num_rows()));
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    const std::string_view key = encoded.BinaryValue(r);
    slices[static_cast<size_t>(r)] =
        static_cast<int>(std::upper_bound(boundaries.begin(), boundaries.end(), key,
                                          [](std::string_view k, const std::string& b) {
                                            return CompareSortKeys(k, b) < 0;
                                          }) -
                         boundaries.begin());
  }
  return slices;
}

}  // namespace sluice::shuffle
