#include "sluice/jobs/compact/compact_pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "sluice/base/cores.h"
#include "sluice/base/error.h"
#include "sluice/base/memory_gate.h"
#include "sluice/flow/pipeline.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/column_chunk_concat.h"
#include "sluice/io/parquet/copied_page_index.h"
#include "sluice/io/parquet/file_system_source.h"
#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/null_column_chunk.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/row_group_file_writer.h"
#include "sluice/jobs/compact/chunk_bloom_filter.h"
#include "sluice/jobs/compact/column_reencode.h"
#include "sluice/jobs/compact/compact_memory.h"
#include "sluice/jobs/compact/hive_partitioner.h"
#include "sluice/jobs/compact/listed_input.h"
#include "sluice/jobs/compact/reader_compat.h"
#include "sluice/jobs/compact/sorted_partition.h"
#include "sluice/jobs/compact/whole_inputs.h"

namespace sluice::compact {

void HandOver(RunQueue& queue, const std::shared_ptr<PartitionRun>& run) {
  if (!queue.Push(run)) {
    run->Fail(std::make_exception_ptr(Cancelled("the compaction pipeline has stopped")));
  }
}

namespace {

namespace fs = std::filesystem;
using RunPtr = std::shared_ptr<PartitionRun>;

// Partitions sorted at once (--sort-by, --zorder-by), at most one per core.
constexpr int kMaxSortsInFlight = 4;

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
  int64_t modified_ns = 0;
};
int64_t ByteSize(const FileItem& item) {
  // Decoded metadata takes a few times its serialized size.
  int64_t footer = item.footer ? 4 * item.footer->metadata_length + 1024 : 0;
  return static_cast<int64_t>(sizeof(FileItem) + item.path.size()) + footer;
}
std::string Describe(const FileItem& item) {
  return item.index < 0 ? "end of the listing of " + item.run->key() : item.path;
}

// One output file of a partition's plan: compacted by one task, row group after row group. With
// --sort-by or --zorder-by, first the whole partition (sort_partition: the sort stage writes
// every file), then each file it wrote (written: its row groups are in, the footer is not).
struct FileTask {
  RunPtr run;
  std::shared_ptr<const PartitionPlan> plan;
  size_t index = 0;
  bool sort_partition = false;
  std::shared_ptr<parquet::RowGroupFileWriter> written;

  const OutputFilePlan& file_plan() const { return plan->files[index]; }
  std::string path() const { return (run->output_dir() / file_plan().name).string(); }
};
std::string DescribeTask(const FileTask& t) { return t.run->key() + "/" + t.file_plan().name; }
int64_t ByteSize(const FileTask&) { return 256; }
std::string Describe(const FileTask& t) { return DescribeTask(t); }

// A file whose row groups are all written; commit writes its footer and renames it into place.
struct WrittenFile {
  FileTask task;
  std::shared_ptr<parquet::RowGroupFileWriter> writer;  // null when the run failed
};
int64_t ByteSize(const WrittenFile& f) {
  return 256 + static_cast<int64_t>(f.task.file_plan().row_groups.size()) *
                   f.task.plan->columns->num_columns() * 512;
}
std::string Describe(const WrittenFile& f) { return DescribeTask(f.task); }

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

// One input chunk of a column: where it lies in its file and where it goes in the read buffer;
// or, for a file that lacks the column, a chunk of nulls made for it.
struct InputChunk {
  const InputFile* file = nullptr;
  const parquet::ColumnMetaData* meta = nullptr;
  int row_group = 0;
  parquet::ColumnChunkRange range;
  int64_t rows = 0;
  int leaf = -1;  // the file's leaf for the column; -1: the file lacks it
};

// The input chunks of column `c` of output row group `rg_plan`. Sets `*reencode` when one of them
// must be decoded (widened) and `*unsplit` when one holds pages the readers of --compat cannot
// read (BYTE_STREAM_SPLIT, rewritten as PLAIN).
std::vector<InputChunk> ColumnInputs(const FileTask& task, const OutputRowGroupPlan& rg_plan, int c,
                                     const CompactOptions& options, bool* reencode, bool* unsplit) {
  const PartitionPlan& plan = *task.plan;
  const std::vector<InputFile>& files = task.run->inputs();
  std::vector<InputChunk> chunks;
  chunks.reserve(rg_plan.inputs.size());
  *reencode = *unsplit = false;
  for (const RowGroupRef& ref : rg_plan.inputs) {
    const size_t f = static_cast<size_t>(ref.file);
    const InputFile& file = files[f];
    InputChunk& chunk = chunks.emplace_back();
    chunk.file = &file;
    chunk.row_group = ref.row_group;
    chunk.rows = ref.rows;
    const int leaf = plan.column_map[f][static_cast<size_t>(c)];
    chunk.leaf = leaf;
    if (leaf < 0) continue;
    const parquet::FileMetaData& md = file.footer->metadata;
    chunk.meta = &*md.row_groups[static_cast<size_t>(ref.row_group)]
                       .columns[static_cast<size_t>(leaf)]
                       .meta_data;
    chunk.range = parquet::ColumnChunkReadRange(*chunk.meta, md, file.footer->metadata_offset);
    const parquet::ColumnDescriptor& column =
        file.footer->schema.columns()[static_cast<size_t>(leaf)];
    if (plan.reencode[f][static_cast<size_t>(c)]) *reencode = true;
    if (!ChunkReadableBy(options.compat, column, *chunk.meta)) *unsplit = true;
  }
  return chunks;
}

// The inputs of `chunks` as the decoding readers take them, their files opened as needed.
std::vector<ReencodeInput> DecodingInputs(
    const FileTask& task, const std::vector<InputChunk>& chunks,
    std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources) {
  const std::vector<InputFile>& files = task.run->inputs();
  std::vector<ReencodeInput> inputs;
  for (const InputChunk& chunk : chunks) {
    ReencodeInput& in = inputs.emplace_back();
    in.file = chunk.file;
    in.row_group = chunk.row_group;
    in.rows = chunk.rows;
    in.leaf = chunk.leaf;
    if (chunk.leaf < 0) continue;
    auto& source = sources[static_cast<int>(chunk.file - files.data())];
    if (!source) source = OpenListedInput(*chunk.file);
    in.source = source.get();
  }
  return inputs;
}

// Decodes column `c`'s input chunks and writes them anew as one chunk (column_reencode.h), holding
// their memory from `gate`; our writer never writes BYTE_STREAM_SPLIT, so --compat holds too.
// Returns the chunk as placed in the file.
parquet::ColumnChunk ReencodeColumn(
    const FileTask& task, const std::vector<InputChunk>& chunks, int c,
    std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources,
    const CompactOptions& options, MemoryGate& gate, const CancellationToken& cancel,
    parquet::RowGroupFileWriter& writer, parquet::CodecCache& codecs,
    parquet::ChunkConcatCounters* counters, const char** stage) {
  int64_t uncompressed = 0, rows = 0;
  for (const InputChunk& chunk : chunks) {
    rows += chunk.rows;
    if (chunk.meta) uncompressed += chunk.meta->total_uncompressed_size;
  }
  MemoryGate::Hold hold = gate.Acquire(ReencodeWorkBytes(uncompressed, rows), cancel);
  *stage = "read";
  std::vector<ReencodeInput> inputs = DecodingInputs(task, chunks, sources);
  *stage = "reencode";
  std::vector<uint8_t> bytes;
  parquet::ColumnChunk chunk = ReencodeColumnChunk(
      task.plan->columns->columns()[static_cast<size_t>(c)], inputs,
      codecs.Get(options.codec, options.compression_level), options.max_dictionary_bytes, &bytes);
  *stage = "write";
  writer.AppendChunkBytes(bytes);
  ++counters->chunks_reencoded;
  return writer.EndColumnChunk(std::move(chunk));
}

// Reads, concatenates and appends column `c` of output row group `rg_plan`, holding its memory
// from `gate` from before its buffers are allocated until after they are freed. The input chunks
// are read whole (the dictionaries are merged before the first page is written); the output is
// appended to the file piece by piece as it is made. A file that lacks the column contributes a
// chunk of nulls, made without reading anything; a column that cannot be copied is re-encoded.
// Returns the chunk as placed in the file.
parquet::ColumnChunk WriteColumn(
    const FileTask& task, const OutputRowGroupPlan& rg_plan, int c,
    std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources,
    const CompactOptions& options, MemoryGate& gate, const CancellationToken& cancel,
    parquet::RowGroupFileWriter& writer, parquet::ChunkConcatCounters* counters,
    const char** stage) {
  thread_local parquet::CodecCache codecs;
  const PartitionPlan& plan = *task.plan;
  const parquet::ColumnDescriptor& column = plan.columns->columns()[static_cast<size_t>(c)];
  const std::vector<InputFile>& files = task.run->inputs();
  bool reencode = false, unsplit = false;
  std::vector<InputChunk> chunks = ColumnInputs(task, rg_plan, c, options, &reencode, &unsplit);
  if (reencode) {
    return ReencodeColumn(task, chunks, c, sources, options, gate, cancel, writer, codecs, counters,
                          stage);
  }
  int64_t input_bytes = 0, dictionary_bytes = 0, null_rows = 0;
  for (const InputChunk& chunk : chunks) {
    if (!chunk.meta) {
      null_rows += chunk.rows;
      continue;
    }
    input_bytes += chunk.range.length;
    if (chunk.meta->dictionary_page_offset) {
      dictionary_bytes +=
          std::max<int64_t>(0, chunk.meta->data_page_offset - *chunk.meta->dictionary_page_offset);
    }
  }
  // Declared before the buffers, so that it is given back after they are freed. A chunk of nulls
  // takes a few bytes a page.
  MemoryGate::Hold hold =
      gate.Acquire(ColumnWorkBytes(input_bytes + null_rows / 1024, dictionary_bytes,
                                   options.max_dictionary_bytes),
                   cancel);
  *stage = "read";
  // Every byte is read into before use: no zero fill (it was a twentieth of the job's CPU).
  const auto in_buffer =
      std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(input_bytes));
  const std::span<uint8_t> in(in_buffer.get(), static_cast<size_t>(input_bytes));
  std::vector<parquet::NullColumnChunk> nulls;
  std::vector<parquet::ChunkInput> inputs;
  inputs.reserve(chunks.size());
  nulls.reserve(chunks.size());
  size_t at = 0;
  for (const InputChunk& chunk : chunks) {
    if (!chunk.meta) {
      parquet::NullColumnChunk& made = nulls.emplace_back(parquet::MakeNullColumnChunk(
          column, chunk.rows, options.codec, codecs.Get(options.codec, options.compression_level)));
      inputs.push_back({&made.meta, made.bytes, 0, &chunk.file->path, chunk.row_group});
      ++counters->null_chunks;
      continue;
    }
    auto& source = sources[static_cast<int>(chunk.file - files.data())];
    if (!source) source = OpenListedInput(*chunk.file);
    std::span<uint8_t> bytes = in.subspan(at, static_cast<size_t>(chunk.range.length));
    source->ReadAt(chunk.range.start, bytes);
    inputs.push_back({chunk.meta, bytes, chunk.range.start, &chunk.file->path, chunk.row_group});
    at += bytes.size();
  }
  *stage = "concat";
  parquet::ChunkConcatOptions concat{.codec = options.codec,
                                     .compression_level = options.compression_level,
                                     .max_dictionary_bytes = options.max_dictionary_bytes,
                                     .plain_byte_stream_split = unsplit};
  // The output goes to the file a piece at a time, at the file's end, which this row group holds.
  parquet::ColumnChunk chunk = parquet::ConcatColumnChunks(
      column, inputs, concat, codecs, 0,
      [&writer, stage](std::span<const uint8_t> piece) {
        *stage = "write";
        writer.AppendChunkBytes(piece);
        *stage = "concat";
      },
      kOutputPieceBytes, counters);
  *stage = "write";
  return writer.EndColumnChunk(std::move(chunk));
}

bool WantsBloomFilter(const CompactOptions& options, const parquet::ColumnDescriptor& column) {
  return std::find(options.bloom_filter_columns.begin(), options.bloom_filter_columns.end(),
                   column.DottedPath()) != options.bloom_filter_columns.end();
}

// InvalidArgument for a --bloom-filter column the output lacks; NotSupported for one that cannot
// have a filter (chunk_bloom_filter.h).
void CheckBloomFilterColumns(const CompactOptions& options, const parquet::ParquetSchema& schema) {
  for (const std::string& name : options.bloom_filter_columns) {
    auto it = std::find_if(
        schema.columns().begin(), schema.columns().end(),
        [&name](const parquet::ColumnDescriptor& c) { return c.DottedPath() == name; });
    if (it == schema.columns().end()) {
      throw InvalidArgument("--bloom-filter names {}, which the output has no column of", name);
    }
    CheckBloomFilterColumn(*it);
  }
}

// Writes column `c` of row group `slot`, then its page index (from the headers of the pages as
// written: copied_page_index.h) and its Bloom filter (its values decoded again, under `gate`).
void CompactColumn(const FileTask& task, const OutputRowGroupPlan& rg_plan, int slot, int c,
                   std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources,
                   const CompactOptions& options, MemoryGate& gate, const CancellationToken& cancel,
                   parquet::RowGroupFileWriter& writer, parquet::ChunkConcatCounters* counters,
                   const char** stage) {
  const parquet::ColumnChunk placed =
      WriteColumn(task, rg_plan, c, sources, options, gate, cancel, writer, counters, stage);
  const parquet::ColumnDescriptor& column = task.plan->columns->columns()[static_cast<size_t>(c)];
  parquet::RowGroupFileWriter::ChunkExtras extras;
  if (options.page_index && placed.meta_data) {
    *stage = "page index";
    extras.page_index = parquet::IndexCopiedPages(
        *placed.meta_data, column.max_repetition_level > 0,
        [&writer](int64_t offset, std::span<uint8_t> out) { writer.ReadBack(offset, out); });
  }
  if (WantsBloomFilter(options, column)) {
    MemoryGate::Hold hold = gate.Acquire(BloomFilterWorkBytes(rg_plan.rows), cancel);
    *stage = "bloom filter";
    bool reencode = false, unsplit = false;
    std::vector<InputChunk> chunks = ColumnInputs(task, rg_plan, c, options, &reencode, &unsplit);
    extras.bloom_filter = BuildChunkBloomFilter(column, DecodingInputs(task, chunks, sources),
                                                options.bloom_filter_fpp);
  }
  writer.SetChunkExtras(slot, c, std::move(extras));
}

// The sort stage: a partition's rows sorted and written into its files (sorted_partition.h),
// holding `memory` of the gate meanwhile; emits a task per file written. Other tasks pass.
void SortStage(FileTask task, const CompactOptions& options, MemoryGate& gate, int64_t memory,
               int threads, const CancellationToken& cancel, Emitter<FileTask>& out) {
  if (!task.sort_partition) {
    out.Emit(std::move(task));
    return;
  }
  const RunPtr& run = task.run;
  if (run->failed()) return;
  SortedPartition sorted;
  try {
    CheckBloomFilterColumns(options, *task.plan->columns);
    MemoryGate::Hold hold = gate.Acquire(memory, cancel);
    sorted = SortPartition(task.plan, run->inputs(), run->output_dir(), options, memory, threads,
                           cancel);
  } catch (...) {
    FailRun(run, "sort");
    return;
  }
  run->AddSortStats(sorted.stats);
  for (size_t f = 0; f < sorted.files.size(); ++f) {
    out.Emit({run, task.plan, f, false, std::move(sorted.files[f])});
  }
}

// Writes every row group of one output file, column chunk by column chunk; the file's footer is
// written by commit. Returns no writer when the run failed.
WrittenFile CompactFile(FileTask task, const CompactOptions& options, MemoryGate& gate,
                        MemoryGate& inputs_gate, const CancellationToken& cancel) {
  WrittenFile done{std::move(task), nullptr};
  const FileTask& t = done.task;
  const RunPtr& run = t.run;
  if (run->failed()) return done;
  if (t.written) {  // sorted and written by the sort stage
    done.writer = std::move(done.task.written);
    return done;
  }
  const char* stage = "write";
  try {
    auto writer = parquet::RowGroupFileWriter::Open(
        t.path(), t.plan->schema, static_cast<int>(t.file_plan().row_groups.size()));
    CheckBloomFilterColumns(options, *t.plan->columns);
    parquet::ChunkConcatCounters counters;
    const int columns = t.plan->columns->num_columns();
    // The input files of a row group stay open while it is written; a file whose row groups go
    // on into the next one stays open for it too (fetched whole or not: whole_inputs.h).
    MemoryGate::Hold whole_hold;  // declared before the sources: released after they are freed
    std::map<int, std::unique_ptr<parquet::RandomAccessSource>> sources;
    const std::vector<InputFile>& files = run->inputs();
    for (size_t slot = 0; slot < t.file_plan().row_groups.size(); ++slot) {
      const OutputRowGroupPlan& rg_plan = t.file_plan().row_groups[slot];
      std::erase_if(sources, [&rg_plan](const auto& source) {
        return std::none_of(rg_plan.inputs.begin(), rg_plan.inputs.end(),
                            [&source](const RowGroupRef& ref) { return ref.file == source.first; });
      });
      stage = "read";
      FetchWholeInputs(files, rg_plan.inputs, inputs_gate, cancel, whole_hold, sources);
      writer->StartRowGroup(static_cast<int>(slot));
      for (int c = 0; c < columns; ++c) {
        if (run->failed()) return done;  // the writer removes its temporary file
        CompactColumn(t, rg_plan, static_cast<int>(slot), c, sources, options, gate, cancel,
                      *writer, &counters, &stage);
      }
      stage = "write";
      writer->FinishRowGroup(rg_plan.rows);
    }
    run->AddCounters(counters);
    done.writer = std::move(writer);
  } catch (...) {
    FailRun(run, stage);
  }
  return done;
}

// Writes the footer, renames the file into place and checks the rows it holds. Returns the file's
// bytes, which the report shows as the stage's bytes out; 0 for a failed run.
int64_t CommitFile(WrittenFile file) {
  const FileTask& t = file.task;
  const RunPtr& run = t.run;
  if (run->failed() || !file.writer) return 0;
  try {
    int64_t size = file.writer->Close();
    file.writer.reset();
    // The file as written must hold the planned rows: a cheap check of the footer we wrote.
    parquet::ParquetFooter written = parquet::ReadFooter(t.path());
    int64_t rows = 0;
    for (const auto& rg : written.metadata.row_groups) rows += rg.num_rows;
    if (rows != t.file_plan().rows) {
      throw InvalidData("the output file holds {} rows, {} were planned", rows, t.file_plan().rows)
          .With("file", t.path());
    }
    run->FileWritten(
        {t.path(), size, rows, static_cast<int64_t>(written.metadata.row_groups.size())});
    return size;
  } catch (...) {
    FailRun(run, "commit");
    return 0;
  }
}

}  // namespace

CompactPipelineReport RunCompactPipeline(RunQueue& queue, const CompactOptions& options,
                                         const RunOptions& run_options) {
  // --memory is split (compact_memory.h): the executor's items get one share, the column chunks
  // being compacted another, held through the gate before their buffers exist.
  const CompactMemoryShares shares = SplitCompactMemory(
      run_options.memory_budget, sluice::fs::IsS3Url(options.source) && !options.sorts_rows());
  RunOptions pipeline_options = run_options;
  pipeline_options.memory_budget = shares.pipeline;
  MemoryGate gate(shares.columns);
  MemoryGate inputs_gate(std::max<int64_t>(shares.whole_inputs, 1));
  // Footer reads are small and latency-bound: many stay in flight from the start rather than
  // waiting for the autoscaler to see a backlog. Each output file is compacted by one task (its
  // row groups and columns in order, appended as they are made); the gate, not the number of
  // tasks, bounds their memory, so at least one task per core runs from the start.
  // The runs the source took, so that a failure of the pipeline itself fails them (the queue
  // gives back the others). Written by the source task only, read once Run has joined it.
  std::vector<std::weak_ptr<PartitionRun>> taken;
  const int cores = std::max(1, UsableCores());
  // Sorts run one per core, each in an equal part of the column chunks' share, each with its
  // share of the cores for its scan and chunk sorts (its merge and writing take its stage's
  // thread), so that the sorts in flight do not crowd the cores.
  const int sorts = std::min(cores, kMaxSortsInFlight);
  const int64_t sort_memory = gate.limit() / sorts;
  const int sort_threads = std::max(1, cores / sorts);
  Pipeline p("compact");
  p.Source("partitions",
           [&queue, &taken, &gate](Emitter<PartitionItem>& out) {
             // Runs arrive as workers claim them; each is handed over before the next wait,
             // which the stage view counts as idle time, not work.
             while (std::optional<RunPtr> run =
                        out.AwaitInput([&] { return queue.Pop(out.cancel()); })) {
               std::erase_if(taken,
                             [](const std::weak_ptr<PartitionRun>& w) { return w.expired(); });
               (*run)->set_column_gate(&gate);
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
                     out.Emit({run, total++, 0, std::move(f.path), f.size, nullptr, f.modified_ns});
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
               [&options](FileItem item, Emitter<FileTask>& out) {
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
                 if (options.sorts_rows()) {
                   if (!plan->files.empty()) out.Emit({run, plan, 0, true, nullptr});
                   return;
                 }
                 for (size_t f = 0; f < plan->files.size(); ++f) {
                   if (run->failed()) return;
                   out.Emit({run, plan, f});
                 }
               })
      .FlatMap("sort",
               [&options, &gate, sort_memory, sort_threads](FileTask task, Emitter<FileTask>& out) {
                 SortStage(std::move(task), options, gate, sort_memory, sort_threads, out.cancel(),
                           out);
               },
               {.kind = kIo, .min_concurrency = sorts, .max_concurrency = sorts})
      .FlatMap("compact",
               [&options, &gate, &inputs_gate](FileTask task, Emitter<WrittenFile>& out) {
                 out.Emit(CompactFile(std::move(task), options, gate, inputs_gate, out.cancel()));
               },
               {.kind = kIo, .min_concurrency = cores, .max_concurrency = 2 * cores})
      .Sink("commit", CommitFile, {.kind = kIo});
  try {
    CompactPipelineReport report;
    report.run = p.Run(pipeline_options);
    report.column_memory_limit = gate.limit();
    report.column_memory_peak = gate.peak();
    report.column_memory_overdrafts = gate.overdrafts();
    report.whole_input_memory_limit = shares.whole_inputs;
    report.whole_input_memory_peak = inputs_gate.peak();
    return report;
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
