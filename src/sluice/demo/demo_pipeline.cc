#include "sluice/demo/demo_pipeline.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/flow/pipeline.h"

namespace sluice {
namespace {

struct DemoFile {
  int partition = 0;
  int index = 0;
  int64_t size = 0;
};
int64_t ByteSize(const DemoFile&) { return sizeof(DemoFile); }
std::string Describe(const DemoFile& f) {
  return "date=2026-01-" + std::to_string(f.partition) + "/part-" + std::to_string(f.index) +
         ".parquet";
}

struct DemoChunk {
  DemoFile file;
  std::vector<uint64_t> words;
  uint64_t checksum = 0;
};
int64_t ByteSize(const DemoChunk& c) {
  return static_cast<int64_t>(c.words.capacity() * sizeof(uint64_t));
}
std::string Describe(const DemoChunk& c) { return Describe(c.file); }

struct DemoRowGroup {
  int partition = 0;
  std::vector<uint64_t> words;
  std::vector<int64_t> files;  // partition * files_per_partition + index
  std::vector<uint64_t> checksums;
  uint64_t digest = 0;
};
int64_t ByteSize(const DemoRowGroup& g) {
  return static_cast<int64_t>((g.words.capacity() + g.checksums.capacity() + g.files.capacity()) *
                              sizeof(uint64_t));
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t Checksum(const std::vector<uint64_t>& words) {
  uint64_t h = 0;
  for (uint64_t w : words) h = Mix(h ^ w);
  return h;
}

uint64_t FileSeed(const DemoFile& f) {
  return Mix((static_cast<uint64_t>(f.partition) << 32) | static_cast<uint64_t>(f.index));
}

void SleepMs(double ms) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(ms * 1000)));
}

StageOptions Pin(const DemoOptions& demo, const std::string& stage, StageOptions options) {
  auto it = demo.pinned.find(stage);
  if (it != demo.pinned.end()) options.min_concurrency = options.max_concurrency = it->second;
  return options;
}

}  // namespace

DemoResult RunDemo(const DemoOptions& demo, const RunOptions& run) {
  if (demo.partitions <= 0 || demo.files_per_partition <= 0) {
    throw InvalidArgument("the demo needs at least one partition and one file per partition");
  }
  if (demo.min_file_bytes <= 0 || demo.max_file_bytes < demo.min_file_bytes) {
    throw InvalidArgument("demo file sizes must satisfy 0 < min <= max");
  }
  DemoResult result;
  const int64_t expected_files = static_cast<int64_t>(demo.partitions) * demo.files_per_partition;
  // Each file's checksum is summed when read and when written; each file must arrive once.
  std::atomic<uint64_t> read_sum{0}, written_sum{0};
  std::vector<std::atomic<int>> arrivals(static_cast<size_t>(expected_files));
  std::atomic<int64_t> bytes{0}, row_groups{0};

  Pipeline p("demo");
  p.Source("partitions",
           [&](Emitter<int>& out) {
             for (int i = 0; i < demo.partitions; ++i) out.Emit(i);
           })
      .FlatMap(
          "list",
          [&](int partition, Emitter<DemoFile>& out) {
            for (int i = 0; i < demo.files_per_partition; ++i) {
              DemoFile f{partition, i, 0};
              const uint64_t span = demo.max_file_bytes - demo.min_file_bytes + 1;
              f.size = demo.min_file_bytes + static_cast<int64_t>(FileSeed(f) % span);
              out.Emit(f);
            }
          },
          Pin(demo, "list", {}))
      .Map(
          "read",
          [&](DemoFile f) {
            SleepMs(demo.read_latency_ms);
            DemoChunk chunk{f, std::vector<uint64_t>(static_cast<size_t>(f.size) / 8), 0};
            uint64_t x = FileSeed(f) | 1;
            for (uint64_t& w : chunk.words) {
              x ^= x << 13;
              x ^= x >> 7;
              x ^= x << 17;
              w = x;
            }
            chunk.checksum = Checksum(chunk.words);
            read_sum += chunk.checksum;
            return chunk;
          },
          Pin(demo, "read", {.kind = kIo, .resource = "disk"}))
      .Batch("bin",
             [&](const std::vector<DemoChunk>& bin, const DemoChunk& next) {
               int64_t size = 0;
               for (const DemoChunk& c : bin) size += ByteSize(c);
               return next.file.partition != bin.front().file.partition ||
                      size + ByteSize(next) > demo.row_group_bytes;
             })
      .Map(
          "concat",
          [&](std::vector<DemoChunk> bin) {
            DemoRowGroup group;
            group.partition = bin.front().file.partition;
            size_t words = 0;
            for (const DemoChunk& c : bin) words += c.words.size();
            group.words.reserve(words);
            for (DemoChunk& c : bin) {
              group.words.insert(group.words.end(), c.words.begin(), c.words.end());
              group.checksums.push_back(c.checksum);
              group.files.push_back(
                  static_cast<int64_t>(c.file.partition) * demo.files_per_partition + c.file.index);
              std::vector<uint64_t>().swap(c.words);
            }
            const bool heavy = (group.partition / std::max(1, demo.phase_partitions)) % 2 == 1;
            const int passes = heavy ? demo.heavy_passes : demo.light_passes;
            uint64_t digest = 0;
            for (int pass = 0; pass < passes; ++pass) {
              for (uint64_t w : group.words) digest = Mix(digest + w);
            }
            group.digest = digest;
            return group;
          },
          Pin(demo, "concat", {}))
      .Sink(
          "write",
          [&](DemoRowGroup group) {
            const double mib = static_cast<double>(ByteSize(group)) / (1 << 20);
            SleepMs(1000 * mib / demo.write_mib_per_second);
            for (size_t i = 0; i < group.files.size(); ++i) {
              ++arrivals[group.files[i]];
              written_sum += group.checksums[i];
            }
            bytes += static_cast<int64_t>(group.words.size() * sizeof(uint64_t));
            ++row_groups;
          },
          Pin(demo, "write", {.kind = kIo, .resource = "disk"}));
  result.report = p.Run(run);
  result.bytes = bytes.load();
  result.row_groups = row_groups.load();
  result.verified = read_sum.load() == written_sum.load();
  for (const std::atomic<int>& count : arrivals) {
    result.files += count.load();
    result.verified = result.verified && count.load() == 1;
  }
  return result;
}

}  // namespace sluice
