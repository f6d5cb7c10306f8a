#include "sluice/compact/compact_pipeline.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/compact/hive_partitioner.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/parquet/column_chunk_concat.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/row_group_file_writer.h"

namespace sluice::compact {

void HandOver(RunQueue& queue, const std::shared_ptr<PartitionRun>& run) {
  if (!queue.Push(run)) {
    run->Fail(std::make_exception_ptr(Cancelled("the compaction pipeline has stopped")));
  }
}

namespace {

namespace fs = std::filesystem;
using RunPtr = std::shared_ptr<PartitionRun>;

struct PartitionItem {
  RunPtr run;
};
int64_t ByteSize(const PartitionItem&) { return 256; }
std::string Describe(const PartitionItem& item) { return "partition " + item.run->key(); }

// A listed file, then its footer; index -1 marks the end of a partition's listing.
struct FileItem {
  RunPtr run;
  int index = -1;
  int total = 0;
  std::string path;
  int64_t size = 0;
  std::shared_ptr<const parquet::ParquetFooter> footer;
};
int64_t ByteSize(const FileItem& item) {
  // Decoded metadata takes a few times its serialized size.
  int64_t footer = item.footer ? 4 * item.footer->metadata_length + 1024 : 0;
  return static_cast<int64_t>(sizeof(FileItem) + item.path.size()) + footer;
}
std::string Describe(const FileItem& item) {
  return item.index < 0 ? "end of the listing of " + item.run->key() : item.path;
}

// One output file's writer, opened by its first row group and closed by its last.
struct OutputFile {
  RunPtr run;
  std::shared_ptr<const PartitionPlan> plan;
  size_t index = 0;
  std::mutex mu;
  // guarded by mu:
  std::unique_ptr<parquet::RowGroupFileWriter> writer;
  size_t written = 0;

  const OutputFilePlan& file_plan() const { return plan->files[index]; }
  std::string path() const { return (run->output_dir() / file_plan().name).string(); }
};

struct RowGroupTask {
  std::shared_ptr<OutputFile> file;
  int slot = 0;
  const OutputRowGroupPlan& plan() const {
    return file->file_plan().row_groups[static_cast<size_t>(slot)];
  }
};
std::string DescribeTask(const RowGroupTask& t) {
  return fmt::format("{}/{} row group {}", t.file->run->key(), t.file->file_plan().name, t.slot);
}
int64_t ByteSize(const RowGroupTask&) { return 256; }
std::string Describe(const RowGroupTask& t) { return DescribeTask(t); }

struct RowGroupData {
  RowGroupTask task;
  std::vector<std::vector<uint8_t>> bytes;  // per input row group
  std::vector<int64_t> base;                // file offset of bytes[i][0]
};
int64_t ByteSize(const RowGroupData& d) {
  int64_t total = 256;
  for (const auto& b : d.bytes) total += static_cast<int64_t>(b.capacity());
  return total;
}
std::string Describe(const RowGroupData& d) { return DescribeTask(d.task); }

struct EncodedRowGroup {
  RowGroupTask task;
  std::vector<uint8_t> bytes;
  parquet::RowGroup meta;
};
int64_t ByteSize(const EncodedRowGroup& e) {
  return static_cast<int64_t>(e.bytes.capacity()) + 256 +
         static_cast<int64_t>(e.meta.columns.size()) * 512;
}
std::string Describe(const EncodedRowGroup& e) { return DescribeTask(e.task); }

// Fails the run with the current exception, adding context it lacks.
void FailRun(const RunPtr& run, const char* stage) {
  try {
    throw;
  } catch (Error& error) {
    error.With("partition", run->key()).With("stage", stage);
    run->Fail(std::make_exception_ptr(error));
  } catch (...) {
    run->Fail(std::current_exception());
  }
}

// The byte range of all of a row group's column chunks in its file.
parquet::ColumnChunkRange RowGroupRange(const parquet::ParquetFooter& footer, int row_group) {
  const parquet::RowGroup& rg = footer.metadata.row_groups[static_cast<size_t>(row_group)];
  int64_t start = INT64_MAX, end = 0;
  for (const parquet::ColumnChunk& chunk : rg.columns) {
    parquet::ColumnChunkRange r =
        parquet::ColumnChunkReadRange(*chunk.meta_data, footer.metadata, footer.metadata_offset);
    start = std::min(start, r.start);
    end = std::max(end, r.start + r.length);
  }
  if (rg.columns.empty()) start = 0;
  return {start, std::max<int64_t>(0, end - start)};
}

RowGroupData ReadRowGroupInputs(RowGroupTask task) {
  RowGroupData data{std::move(task), {}, {}};
  const RunPtr& run = data.task.file->run;
  if (run->failed()) return data;
  try {
    const std::vector<InputFile>& files = run->inputs();
    std::map<int, std::unique_ptr<parquet::LocalFileSource>> sources;
    for (const RowGroupRef& ref : data.task.plan().inputs) {
      const InputFile& file = files[static_cast<size_t>(ref.file)];
      auto& source = sources[ref.file];
      if (!source) source = parquet::LocalFileSource::Open(file.path);
      parquet::ColumnChunkRange range = RowGroupRange(*file.footer, ref.row_group);
      std::vector<uint8_t> bytes(static_cast<size_t>(range.length));
      source->ReadAt(range.start, bytes);
      data.bytes.push_back(std::move(bytes));
      data.base.push_back(range.start);
    }
  } catch (...) {
    FailRun(run, "read");
    data.bytes.clear();
  }
  return data;
}

EncodedRowGroup ConcatRowGroup(RowGroupData data, const CompactOptions& options) {
  EncodedRowGroup out{data.task, {}, {}};
  const RunPtr& run = data.task.file->run;
  if (run->failed()) return out;
  try {
    thread_local parquet::CodecCache codecs;
    const PartitionPlan& plan = *data.task.file->plan;
    const std::vector<InputFile>& files = run->inputs();
    const OutputRowGroupPlan& rg_plan = data.task.plan();
    size_t total = 0;
    for (const auto& b : data.bytes) total += b.size();
    out.bytes.reserve(total + total / 8 + 4096);
    parquet::ChunkConcatOptions concat{.codec = options.codec,
                                       .compression_level = options.compression_level,
                                       .max_dictionary_bytes = options.max_dictionary_bytes};
    parquet::ChunkConcatCounters counters;
    std::vector<parquet::ChunkInput> inputs(rg_plan.inputs.size());
    for (int c = 0; c < plan.columns->num_columns(); ++c) {
      for (size_t i = 0; i < rg_plan.inputs.size(); ++i) {
        const RowGroupRef& ref = rg_plan.inputs[i];
        const InputFile& file = files[static_cast<size_t>(ref.file)];
        int leaf = plan.column_map[static_cast<size_t>(ref.file)][static_cast<size_t>(c)];
        const parquet::FileMetaData& md = file.footer->metadata;
        const parquet::ColumnMetaData& meta = *md.row_groups[static_cast<size_t>(ref.row_group)]
                                                   .columns[static_cast<size_t>(leaf)]
                                                   .meta_data;
        parquet::ColumnChunkRange range =
            parquet::ColumnChunkReadRange(meta, md, file.footer->metadata_offset);
        inputs[i] = {&meta,
                     std::span<const uint8_t>(data.bytes[i])
                         .subspan(static_cast<size_t>(range.start - data.base[i]),
                                  static_cast<size_t>(range.length)),
                     range.start, &file.path, ref.row_group};
      }
      out.meta.columns.push_back(parquet::ConcatColumnChunks(
          plan.columns->columns()[static_cast<size_t>(c)], inputs, concat, codecs,
          static_cast<int64_t>(out.bytes.size()), &out.bytes, &counters));
    }
    out.meta.num_rows = rg_plan.rows;
    int64_t compressed = 0;
    for (const parquet::ColumnChunk& chunk : out.meta.columns) {
      out.meta.total_byte_size += chunk.meta_data->total_uncompressed_size;
      compressed += chunk.meta_data->total_compressed_size;
    }
    out.meta.total_compressed_size = compressed;
    out.meta.file_offset = 0;
    run->AddCounters(counters);
  } catch (...) {
    FailRun(run, "concat");
    out.bytes = {};
  }
  return out;
}

void WriteRowGroup(EncodedRowGroup encoded) {
  OutputFile& file = *encoded.task.file;
  const RunPtr& run = file.run;
  if (run->failed()) return;
  try {
    parquet::RowGroupFileWriter* writer = nullptr;
    {
      std::lock_guard lock(file.mu);
      if (!file.writer) {
        file.writer = parquet::RowGroupFileWriter::Open(
            file.path(), file.plan->schema, static_cast<int>(file.file_plan().row_groups.size()));
      }
      writer = file.writer.get();
    }
    writer->WriteRowGroup(encoded.task.slot, encoded.bytes, std::move(encoded.meta));
    encoded.bytes = {};
    std::lock_guard lock(file.mu);
    if (++file.written < file.file_plan().row_groups.size()) return;
    int64_t size = file.writer->Close();
    // The file as written must hold the planned rows: a cheap check of the footer we wrote.
    parquet::ParquetFooter written = parquet::ReadFooter(file.path());
    int64_t rows = 0;
    for (const auto& rg : written.metadata.row_groups) rows += rg.num_rows;
    if (rows != file.file_plan().rows) {
      throw InvalidData("the output file holds {} rows, {} were planned", rows,
                        file.file_plan().rows)
          .With("file", file.path());
    }
    run->FileWritten(
        {file.path(), size, rows, static_cast<int64_t>(written.metadata.row_groups.size())});
    file.writer.reset();
  } catch (...) {
    FailRun(run, "write");
  }
}

}  // namespace

RunReport RunCompactPipeline(RunQueue& queue, const CompactOptions& options,
                             const RunOptions& run_options) {
  // Footer reads are small and latency-bound: many stay in flight from the start rather than
  // waiting for the autoscaler to see a backlog. Input reads are whole output row groups (tens of
  // MiB): at most two in flight, so reads admitted on a small early size estimate cannot fill
  // the budget ahead of concat.
  // The runs the source took, so that a failure of the pipeline itself fails them (the queue
  // gives back the others). Written by the source task only, read once Run has joined it.
  std::vector<std::weak_ptr<PartitionRun>> taken;
  Pipeline p("compact");
  p.Source("partitions",
           [&queue, &taken](Emitter<PartitionItem>& out) {
             // Runs arrive as workers claim them; each is handed over before the next wait,
             // which the stage view counts as idle time, not work.
             while (std::optional<RunPtr> run =
                        out.AwaitInput([&] { return queue.Pop(out.cancel()); })) {
               std::erase_if(taken,
                             [](const std::weak_ptr<PartitionRun>& w) { return w.expired(); });
               taken.push_back(*run);
               out.Emit({std::move(*run)});
             }
           },
           {.kind = kIo})
      .FlatMap("list",
               [](PartitionItem item, Emitter<FileItem>& out) {
                 RunPtr& run = item.run;
                 int total = 0;
                 try {
                   for (ListedFile& f : ListDataFiles(run->source_dir())) {
                     if (run->failed()) return;
                     out.Emit({run, total++, 0, std::move(f.path), f.size, nullptr});
                   }
                 } catch (...) {
                   FailRun(run, "list");
                   return;
                 }
                 out.Emit({run, -1, total, {}, 0, nullptr});
               },
               {.kind = kIo})
      .Map("footer",
           [](FileItem item) {
             if (item.index < 0 || item.run->failed()) return item;
             try {
               item.footer =
                   std::make_shared<const parquet::ParquetFooter>(parquet::ReadFooter(item.path));
             } catch (...) {
               FailRun(item.run, "footer");
             }
             return item;
           },
           {.kind = kIo, .min_concurrency = 8})
      .FlatMap("plan",
               [&options](FileItem item, Emitter<RowGroupTask>& out) {
                 RunPtr run = item.run;
                 if (run->failed()) return;
                 std::optional<std::vector<InputFile>> files =
                     item.index < 0 ? run->EndListing(item.total)
                                    : run->AddFooter(item.index, {item.path, item.size,
                                                                  std::move(item.footer)});
                 if (!files) return;
                 std::shared_ptr<const PartitionPlan> plan;
                 try {
                   plan = std::make_shared<const PartitionPlan>(PlanPartition(*files, options));
                 } catch (...) {
                   FailRun(run, "plan");
                   return;
                 }
                 run->SetPlan(plan, std::move(*files), options.dry_run);
                 if (options.dry_run) return;
                 for (size_t f = 0; f < plan->files.size(); ++f) {
                   auto file = std::make_shared<OutputFile>();
                   file->run = run;
                   file->plan = plan;
                   file->index = f;
                   for (size_t slot = 0; slot < plan->files[f].row_groups.size(); ++slot) {
                     if (run->failed()) return;
                     out.Emit({file, static_cast<int>(slot)});
                   }
                 }
               })
      .Map("read", ReadRowGroupInputs, {.kind = kIo, .min_concurrency = 1, .max_concurrency = 2})
      .Map("concat",
           [&options](RowGroupData data) { return ConcatRowGroup(std::move(data), options); })
      .Sink("write", WriteRowGroup, {.kind = kIo});
  try {
    return p.Run(run_options);
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    for (const RunPtr& run : queue.CloseAndTake()) run->Fail(error);
    for (const std::weak_ptr<PartitionRun>& w : taken) {
      if (RunPtr run = w.lock()) run->Fail(error);
    }
    throw;
  }
}

}  // namespace sluice::compact
