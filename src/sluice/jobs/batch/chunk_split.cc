#include "sluice/jobs/batch/chunk_split.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <mutex>

#include "sluice/base/error.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/batch/chunking.h"
#include "sluice/jobs/batch/row_set_fingerprint.h"
#include "sluice/jobs/batch/split_memory.h"
#include "sluice/table/take.h"

namespace sluice::batch {
namespace {

namespace fs = std::filesystem;

struct UnitItem {
  int input = 0;
  ScanUnit unit;
};
int64_t ByteSize(const UnitItem&) { return sizeof(UnitItem); }

struct PieceItem {
  int input = 0;
  ScanPiece piece;
};
int64_t ByteSize(const PieceItem& p) { return sluice::ByteSize(p.piece); }

struct ChunkPiece {
  int input = 0;
  int chunk = 0;
  RecordBatch batch;
};
int64_t ByteSize(const ChunkPiece& p) { return sluice::ByteSize(p.batch); }

// One (input, chunk) file being written.
struct Spill {
  std::mutex mu;
  std::unique_ptr<parquet::ParquetWriter> writer;  // guarded by mu
  RowSetFingerprint fingerprint;
};

// Every (input, chunk) file stays open until the end; lift the soft descriptor limit so that
// many chunks of several inputs fit.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

std::string ChunkFileName(int chunk) { return fmt::format("chunk-{:05d}.parquet", chunk); }

SplitResult SplitIntoChunks(const std::vector<SplitSource>& sources, int chunks,
                            const fs::path& dir, const RunOptions& run) {
  RaiseFileLimit();
  const size_t n = static_cast<size_t>(chunks);
  std::vector<std::vector<std::unique_ptr<Spill>>> spills(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    fs::create_directories(dir / sources[i].name);
    for (size_t c = 0; c < n; ++c) spills[i].push_back(std::make_unique<Spill>());
  }
  int64_t unit_read_bytes = 0;
  for (const SplitSource& s : sources)
    unit_read_bytes = std::max(unit_read_bytes, s.unit_read_bytes);
  const SplitMemoryPlan memory =
      PlanSplitMemory(run.memory_budget, static_cast<int64_t>(n * sources.size()), unit_read_bytes);
  parquet::ParquetWriteOptions write;
  write.row_group_bytes = memory.row_group_bytes;
  auto path_of = [&](size_t input, size_t chunk) {
    return (dir / sources[input].name / ChunkFileName(static_cast<int>(chunk))).string();
  };

  Pipeline p("split");
  p.Source("units",
           [&](Emitter<UnitItem>& out) {
             for (size_t i = 0; i < sources.size(); ++i) {
               for (const ScanUnit& u : sources[i].scan->units())
                 out.Emit({static_cast<int>(i), u});
             }
           })
      .FlatMap("read",
               [&](UnitItem item, Emitter<PieceItem>& out) {
                 try {
                   sources[static_cast<size_t>(item.input)].scan->ReadPieces(
                       item.unit, [&](ScanPiece piece) {
                         out.Emit({item.input, std::move(piece)});
                       });
                 } catch (Error& e) {
                   throw std::move(e).With("input", sources[static_cast<size_t>(item.input)].name);
                 }
               },
               // A read holds a whole row group's column chunks and decoding buffers before it
               // emits its first batch: as many at a time as the reads' share allows.
               {.kind = kIo, .max_concurrency = memory.reads})
      .FlatMap("split",
               [&](PieceItem item, Emitter<ChunkPiece>& out) {
                 const SplitSource& source = sources[static_cast<size_t>(item.input)];
                 std::vector<uint32_t> chunk_of;
                 std::vector<std::vector<int64_t>> rows(n);
                 try {
                   source.scan->Parse(item.piece, [&](RecordBatch batch, int64_t) {
                     AssignChunks(batch, source.by_columns, chunks, &chunk_of);
                     for (auto& r : rows) r.clear();
                     for (size_t r = 0; r < chunk_of.size(); ++r) {
                       rows[chunk_of[r]].push_back(static_cast<int64_t>(r));
                     }
                     for (size_t c = 0; c < n; ++c) {
                       if (rows[c].empty()) continue;
                       RecordBatch part =
                           rows[c].size() == chunk_of.size() ? batch : Take(batch, rows[c]);
                       spills[static_cast<size_t>(item.input)][c]->fingerprint.Add(part);
                       out.Emit({item.input, static_cast<int>(c), std::move(part)});
                     }
                   });
                 } catch (Error& e) {
                   throw std::move(e).With("input", source.name);
                 }
               })
      .Sink("spill",
            [&](ChunkPiece piece) {
              const size_t i = static_cast<size_t>(piece.input);
              const size_t c = static_cast<size_t>(piece.chunk);
              Spill& spill = *spills[i][c];
              std::lock_guard lock(spill.mu);
              if (!spill.writer) {
                spill.writer =
                    parquet::ParquetWriter::Open(path_of(i, c), sources[i].scan->schema(), write);
              }
              spill.writer->Write(piece.batch);
            },
            {.kind = kIo});
  RunOptions options = run;
  options.report_path.clear();
  options.memory_budget = memory.pipeline;
  SplitResult result;
  result.report = p.Run(options);

  result.chunks.resize(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    for (size_t c = 0; c < n; ++c) {
      Spill& spill = *spills[i][c];
      if (!spill.writer) {
        spill.writer =
            parquet::ParquetWriter::Open(path_of(i, c), sources[i].scan->schema(), write);
      }
      spill.writer->Close();
      spill.writer.reset();
      const int64_t rows = spill.fingerprint.rows();
      result.rows += rows;
      result.chunks[i].push_back(
          {path_of(i, c), rows, spill.fingerprint.Hex(*sources[i].scan->schema())});
    }
  }
  return result;
}

}  // namespace sluice::batch
