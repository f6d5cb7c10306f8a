#include "sluice/jobs/compact/compact_job.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "sluice/base/bytes.h"
#include "sluice/base/error.h"
#include "sluice/base/heap_tuning.h"
#include "sluice/base/log.h"
#include "sluice/base/process_memory.h"
#include "sluice/flow/report_file.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/compact/compact_pipeline.h"
#include "sluice/jobs/compact/compact_verify.h"
#include "sluice/jobs/compact/hive_partitioner.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/lease_owner.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/jobs/partition_feeder.h"
#include "sluice/jobs/task_timeline.h"
#include "sluice/jobs/worker_beside_pipeline.h"
#include "sluice/ledger/ledger.h"
#include "sluice/ledger/ledger_url.h"
#include "sluice/ops/sort/sort_key.h"

namespace sluice::compact {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using RunPtr = std::shared_ptr<PartitionRun>;

constexpr const char* kInputsEvent = "compact_inputs";
constexpr const char* kDeletedEvent = "compact_sources_deleted";

// Takes the pipeline's figures into the summary.
void TakeReport(CompactPipelineReport report, CompactSummary* s) {
  s->report = std::move(report.run);
  s->column_memory_limit = report.column_memory_limit;
  s->column_memory_peak = report.column_memory_peak;
  s->column_memory_overdrafts = report.column_memory_overdrafts;
  s->whole_input_memory_limit = report.whole_input_memory_limit;
  s->whole_input_memory_peak = report.whole_input_memory_peak;
}

// Adds a finished run's inputs and outputs to the summary.
void Account(const PartitionRun& run, CompactSummary* s) {
  const PartitionPlan& plan = *run.plan();
  s->files_in += static_cast<int64_t>(run.inputs().size());
  s->bytes_in += plan.bytes_in;
  s->row_groups_in += plan.row_groups_in;
  s->rows += plan.rows;
  for (const OutputFileResult& f : run.outputs()) {
    ++s->files_out;
    s->bytes_out += f.bytes;
    s->row_groups_out += f.row_groups;
  }
  s->pages.Add(run.counters());
  s->sort.Add(run.sort_counters());
  ++s->partitions_this_run;
}

// The columns --verify reads: the top-level fields, since a nested one reads only whole.
const std::vector<std::string>& TopLevelFields(const PartitionPlan& plan) {
  return plan.columns->top_level_names();
}

void DryRun(const CompactOptions& options, const RunOptions& run_options, CompactSummary* s) {
  RunQueue queue;
  std::vector<RunPtr> runs;
  std::exception_ptr list_error;
  std::thread lister([&] {
    try {
      HivePartitioner partitioner(options.source);
      partitioner.Generate([&](ledger::PartitionSpec spec) {
        auto run = std::make_shared<PartitionRun>(
            spec.key, HivePartition::FromJson(spec.definition_json).dir, fs::path());
        runs.push_back(run);
        HandOver(queue, run);
      });
    } catch (...) {
      list_error = std::current_exception();
    }
    queue.Close();
  });
  try {
    TakeReport(RunCompactPipeline(queue, options, run_options), s);
  } catch (...) {
    lister.join();
    throw;
  }
  lister.join();
  if (list_error) std::rethrow_exception(list_error);
  for (const RunPtr& run : runs) {
    ++s->partitions;
    try {
      run->Wait(CancellationToken());
    } catch (const std::exception& e) {
      ++s->partitions_failed;
      s->failures.emplace_back(run->key(), e.what());
      continue;
    }
    const PartitionPlan& plan = *run->plan();
    s->plan_lines.push_back(
        fmt::format("{}: {} files ({}), {} row groups, {} rows -> {} files, {} row groups",
                    run->key(), run->inputs().size(), FormatBytes(plan.bytes_in),
                    plan.row_groups_in, plan.rows, plan.files.size(), plan.row_groups_out));
    for (const OutputFilePlan& f : plan.files) {
      std::string groups;
      for (const OutputRowGroupPlan& rg : f.row_groups) {
        groups +=
            fmt::format("{}{} rows/{}", groups.empty() ? "" : ", ", rg.rows, FormatBytes(rg.bytes));
      }
      s->plan_lines.push_back(fmt::format("  {} ~{}: {}", f.name, FormatBytes(f.bytes), groups));
    }
    ++s->partitions_done;
    s->files_in += static_cast<int64_t>(run->inputs().size());
    s->bytes_in += plan.bytes_in;
    s->row_groups_in += plan.row_groups_in;
    s->rows += plan.rows;
    s->files_out += static_cast<int64_t>(plan.files.size());
    s->row_groups_out += plan.row_groups_out;
  }
}

// Deletes the inputs of committed partitions, once their published files match the manifest.
int64_t DeleteSources(ledger::Ledger& ledger, ledger::JobId job) {
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> inputs;  // (partition, attempt)
  std::set<int64_t> deleted;
  for (ledger::EventId after = 0;;) {
    std::vector<ledger::EventRecord> events = ledger.ReadEvents(job, after, 1000);
    if (events.empty()) break;
    for (const ledger::EventRecord& e : events) {
      after = e.id;
      if (!e.partition_id) continue;
      if (e.kind == kInputsEvent) {
        json d = json::parse(e.detail_json);
        inputs[{*e.partition_id, d.at("attempt").get<int64_t>()}] =
            d.at("files").get<std::vector<std::string>>();
      } else if (e.kind == kDeletedEvent) {
        deleted.insert(*e.partition_id);
      }
    }
  }
  int64_t removed = 0;
  for (ledger::PartitionId after = 0;;) {
    auto parts = ledger.ListPartitions(
        job, {.status = ledger::PartitionStatus::kDone, .after_id = after, .limit = 1000});
    if (parts.empty()) break;
    for (const ledger::PartitionRecord& p : parts) {
      after = p.id;
      if (deleted.contains(p.id)) continue;
      json manifest = json::parse(p.output_manifest_json);
      auto it = inputs.find({p.id, manifest.at("attempt").get<int64_t>()});
      if (it == inputs.end()) continue;
      const std::string dir = manifest.at("path").get<std::string>();
      for (const json& f : manifest.at("files")) {
        const std::string file = dir + "/" + f.at("name").get<std::string>();
        int64_t size = -1;
        std::string why;
        try {
          size = sluice::fs::FileSystemFor(file)->Stat(file).size;
        } catch (const Error& e) {
          why = e.what();
        }
        if (size != f.at("bytes").get<int64_t>()) {
          Error error = IoError("the committed output does not match its manifest; sources kept");
          error.With("partition", p.key).With("file", file);
          if (!why.empty()) error.With("cause", why);
          throw error;
        }
      }
      for (const std::string& path : it->second) {
        if (sluice::fs::IsS3Url(path)) {
          sluice::fs::FileSystemFor(path)->Delete(path);
          ++removed;
          continue;
        }
        std::error_code ec;
        if (fs::remove(path, ec)) ++removed;
        if (ec) throw IoError("cannot delete a source file: {}", ec.message()).With("file", path);
      }
      ledger.AppendEvent(job, p.id, kDeletedEvent, json{{"files", it->second.size()}}.dump());
    }
  }
  return removed;
}

// InvalidArgument for --sort-by, --zorder-by and --order-by asked together, or a malformed one.
void CheckSortOptions(const CompactOptions& compact) {
  const int orders = static_cast<int>(!compact.order_by.empty()) +
                     static_cast<int>(!compact.sort_by.empty()) +
                     static_cast<int>(!compact.zorder_by.empty());
  if (orders > 1) {
    throw InvalidArgument(
        "--sort-by, --zorder-by and --order-by each set the output's order; give one of them");
  }
  if (!compact.sort_by.empty()) ParseSortKeys(compact.sort_by);
  if (!compact.zorder_by.empty() &&
      (compact.zorder_by.size() < 2 || compact.zorder_by.size() > 8)) {
    throw InvalidArgument("--zorder-by takes two to eight columns, not {}",
                          compact.zorder_by.size());
  }
}

// The options with the source and destination made absolute, checked before anything is read
// or written.
CompactOptions CheckedOptions(CompactOptions compact) {
  for (std::string* path : {&compact.source, &compact.destination}) {
    if (sluice::fs::IsS3Url(*path)) {
      sluice::fs::ParseS3Url(*path);  // InvalidArgument for a malformed URL, before any work
      while (path->ends_with('/')) path->pop_back();
    } else {
      *path = fs::absolute(*path).lexically_normal().string();
    }
  }
  if (compact.target_file_bytes <= 0)
    throw InvalidArgument("the target file size must be positive");
  if (compact.row_group_bytes <= 0 && compact.row_group_rows <= 0) {
    throw InvalidArgument("a row group size in bytes or rows is needed");
  }
  CheckOutputCodec(compact.compat, compact.codec);
  CheckSortOptions(compact);
  if (fs::path(compact.destination).string().starts_with(fs::path(compact.source).string() + "/") ||
      compact.destination == compact.source) {
    throw InvalidArgument("the destination must not lie inside the source")
        .With("directory", compact.destination);
  }
  return compact;
}

// What the job stores: the work (a resumed job must match it) and how its partitions are
// compacted, so that a `sluice worker` anywhere compacts them as this command would.
std::string SpecJson(const CompactJobOptions& options, const CompactOptions& compact) {
  json j = json::parse(compact.WorkJson());
  j["verify"] = compact.verify;
  j["delete_source"] = compact.delete_source;
  j["max_attempts"] = options.max_attempts;
  return jobs::StampJobSpec(kCompactJobKind, j.dump());
}

// The job holds `work`: its stored spec (or the work alone, as jobs created before the spec)
// names the same output, whatever else it stores.
bool SameWork(const ledger::JobRecord& existing, const std::string& work) {
  std::string kind = jobs::JobKindOf(existing);
  if (!kind.empty() && kind != kCompactJobKind) return false;
  try {
    return json::parse(CompactOptions::FromWorkJson(existing.options_json).WorkJson()) ==
           json::parse(work);
  } catch (const Error&) {
    return false;  // not a compaction's options
  }
}

// The compaction's ledger job: created, or resumed when it holds the same work.
ledger::JobRecord OpenCompactJob(ledger::Ledger& ledger, const std::string& name,
                                 const CompactJobOptions& options, const CompactOptions& compact) {
  const std::string work = compact.WorkJson();
  jobs::OpenedJob opened = jobs::CreateOrResumeJob(
      ledger, name, SpecJson(options, compact), [&](const ledger::JobRecord& existing) {
        if (!SameWork(existing, work)) {
          throw InvalidArgument(
              "job '{}' exists with other options; run with the same options to resume it, or "
              "choose another job name",
              name);
        }
        return jobs::ExistingJob::kResume;
      });
  if (opened.resumed) Log(LogLevel::kInfo, "resuming job {}", name);
  return opened.record;
}

// What the compaction of a job's partitions works with.
struct CompactRun {
  const CompactJobOptions& options;
  const CompactOptions& compact;  // checked
  const std::string& url;
  ledger::JobId job;
  const RunOptions& run_options;
};

// The task of each claimed partition: hands its run to the pipeline and waits for it, verifies
// the outputs, and records the attempt's inputs (for DeleteSources) and its figures.
jobs::PartitionTask CompactTask(const CompactRun& c, RunQueue& queue, ledger::Ledger& events,
                                std::mutex& mu, CompactSummary& summary) {
  return [&c, &queue, &events, &mu, &summary](const jobs::TaskContext& ctx) {
    auto run = std::make_shared<PartitionRun>(
        ctx.lease.key, HivePartition::FromJson(ctx.lease.definition_json).dir, ctx.output_dir);
    HandOver(queue, run);
    run->Wait(ctx.cancel);
    std::vector<std::string> inputs, outputs;
    for (const InputFile& f : run->inputs()) inputs.push_back(f.path);
    for (const OutputFileResult& f : run->outputs()) outputs.push_back(f.path);
    if (c.compact.verify && !outputs.empty()) {
      VerifyOutputs(run->key(), inputs, outputs, TopLevelFields(*run->plan()), run->column_gate(),
                    ctx.cancel);
    }
    std::lock_guard lock(mu);
    events.AppendEvent(c.job, ctx.lease.partition_id, kInputsEvent,
                       json{{"attempt", ctx.lease.attempt}, {"files", inputs}}.dump());
    Account(*run, &summary);
  };
}

// Lists the partitions into the job (when given a partitioner) while a worker claims them and
// hands them to the pipeline, until the job is complete; rethrows the pipeline's, the listing's
// or the worker's error, in that order.
void CompactPartitions(const CompactRun& c, HivePartitioner* partitioner, CompactSummary& summary) {
  jobs::WorkerOptions worker = c.options.worker;
  worker.output_root = c.compact.destination;
  worker.stop_on_failure = false;
  worker.claim_batch = std::max<int64_t>(1, worker.slots);
  CancellationSource stop(c.run_options.cancel);
  RunQueue queue;
  std::mutex mu;  // guards summary's counters and the events ledger
  auto events = ledger::OpenLedger(c.url, c.options.worker.ledger_options);
  jobs::PartitionTask task = CompactTask(c, queue, *events, mu, summary);

  std::optional<jobs::PartitionFeeder> feeder;
  if (partitioner) {
    feeder.emplace(c.url, c.options.worker.ledger_options, c.job, *partitioner,
                   jobs::FeedOptions{.max_attempts = c.options.max_attempts}, stop);
  }
  jobs::WorkerBesidePipelineErrors errors = jobs::RunWorkerBesidePipeline(
      c.url, c.job, task, worker, stop, queue, "the compaction pipeline failed",
      [&] { TakeReport(RunCompactPipeline(queue, c.compact, c.run_options), &summary); });
  if (errors.pipeline) std::rethrow_exception(errors.pipeline);
  if (feeder) feeder->Finish();
  if (errors.worker) std::rethrow_exception(errors.worker);
}

// `--submit`: lists every partition into the job and seals it, compacting nothing.
void SubmitPartitions(const CompactRun& c, HivePartitioner& partitioner) {
  CancellationSource stop(c.run_options.cancel);
  jobs::PartitionFeeder feeder(c.url, c.options.worker.ledger_options, c.job, partitioner,
                               {.max_attempts = c.options.max_attempts}, stop);
  feeder.Finish();
}

// The job's partition counts and failures, whichever process compacted them.
void ReadJobOutcome(ledger::Ledger& ledger, ledger::JobId job, CompactSummary& summary) {
  ledger::JobProgress progress = ledger.Progress(job);
  summary.partitions = progress.total();
  summary.partitions_done = progress.done;
  summary.partitions_failed = progress.failed;
  for (const ledger::PartitionRecord& p :
       ledger.ListPartitions(job, {.status = ledger::PartitionStatus::kFailed})) {
    summary.failures.emplace_back(p.key, p.error);
  }
}

// The default ledger of a compaction: beside its output, or under ./.sluice for an s3:// one.
std::string CompactLedgerUrl(const CompactOptions& compact) {
  if (sluice::fs::IsS3Url(compact.destination)) {
    return ledger::DefaultLedgerUrl(fs::absolute(ledger::kDefaultStateDir));
  }
  return (fs::path(compact.destination) / ".sluice" / "ledger.db").string();
}

// Compacts the job's partitions here (listing them first when given a partitioner), then deletes
// sources and reads the job's outcome and attempts into the summary.
void CompactJob(const CompactRun& c, ledger::Ledger& ledger, HivePartitioner* partitioner,
                CompactSummary& summary) {
  // What a killed or failed run left: partitions its process still held, publishes to roll
  // forward, attempts' output (open uploads) to drop.
  jobs::ReleaseLeasesOfDeadProcesses(ledger, c.job);
  jobs::MakeOutputCommitter(c.compact.destination)->Sweep(ledger, c.job);
  CompactPartitions(c, partitioner, summary);
  if (c.compact.delete_source) summary.sources_deleted = DeleteSources(ledger, c.job);
  ReadJobOutcome(ledger, c.job, summary);
  summary.verified = c.compact.verify;
  summary.tasks = jobs::TaskTimelineJson(ledger, c.job);
  // The pipeline wrote its report when it ended (also when it failed); now that the ledger has
  // every attempt, the report is written again with them.
  if (!c.run_options.report_path.empty()) {
    nlohmann::json report = summary.report.ToJson();
    report["tasks"] = summary.tasks;
    WriteReportFile(report, c.run_options.report_path);
  }
}

// Starts the clock and tunes the heap for a compaction in this process; `finish` stamps the
// summary's time and peak RSS.
struct CompactClock {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  CompactClock() {
    // Row group buffers of tens of MiB pass between threads all run long. With glibc's defaults
    // each thread's arena keeps what it freed (the process grew ~180 MiB past the budget) or each
    // buffer is mapped afresh (a page fault per 4 KiB).
    TuneHeapForStreaming();
  }
  CompactSummary& Finish(CompactSummary& summary) const {
    summary.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    summary.peak_rss = ProcessPeakRssBytes();
    return summary;
  }
};

}  // namespace

CompactSummary RunCompaction(const CompactJobOptions& options, const RunOptions& run_options) {
  CompactClock clock;
  CompactSummary summary;
  const CompactOptions compact = CheckedOptions(options.compact);
  if (compact.dry_run) {
    DryRun(compact, run_options, &summary);
    return clock.Finish(summary);
  }
  HivePartitioner partitioner(compact.source);  // checks the source before anything is written
  std::string url = options.ledger_url.empty() ? CompactLedgerUrl(compact) : options.ledger_url;
  std::string name = options.job_name.empty()
                         ? fmt::format("compact {} -> {}", compact.source, compact.destination)
                         : options.job_name;
  auto ledger = ledger::OpenLedger(url, options.worker.ledger_options);
  const ledger::JobRecord job = OpenCompactJob(*ledger, name, options, compact);
  summary.job_name = job.name;
  const CompactRun run{options, compact, url, job.id, run_options};
  if (options.submit_only) {
    SubmitPartitions(run, partitioner);
    ReadJobOutcome(*ledger, job.id, summary);
  } else {
    CompactJob(run, *ledger, &partitioner, summary);
  }
  return clock.Finish(summary);
}

JoinedCompaction JoinCompaction(const std::string& ledger_url, const std::string& job_name,
                                const jobs::WorkerOptions& worker, const RunOptions& run_options) {
  CompactClock clock;
  auto ledger = ledger::OpenLedger(ledger_url, worker.ledger_options);
  const ledger::JobRecord job = jobs::RequireJob(*ledger, job_name);
  jobs::CheckJobVersion(job);
  if (jobs::JobKindOf(job) != kCompactJobKind) {
    throw InvalidArgument("job '{}' is not a compaction", job_name).With("job", job_name);
  }
  JoinedCompaction joined;
  CompactJobOptions options;
  options.compact = CompactOptions::FromWorkJson(job.options_json);
  json spec = json::parse(job.options_json);
  options.compact.verify = spec.value("verify", false);
  options.compact.delete_source = spec.value("delete_source", false);
  options.max_attempts = spec.value("max_attempts", options.max_attempts);
  options.ledger_url = ledger_url;
  options.job_name = job_name;
  options.worker = worker;
  joined.options = options.compact;
  joined.summary.job_name = job.name;
  CompactJob({options, options.compact, ledger_url, job.id, run_options}, *ledger, nullptr,
             joined.summary);
  clock.Finish(joined.summary);
  return joined;
}

std::string FormatCompactSummary(const CompactSummary& s, const CompactOptions& options) {
  std::string out;
  if (options.dry_run) {
    out += "plan (dry run, nothing written):\n";
    for (const std::string& line : s.plan_lines) out += "  " + line + "\n";
  }
  out += fmt::format("partitions: {} in the job, {} done, {} failed; {} compacted by this run\n",
                     s.partitions, s.partitions_done, s.partitions_failed,
                     options.dry_run ? s.partitions_done : s.partitions_this_run);
  out += fmt::format("in:  {} files, {}, {} row groups, {} rows\n", s.files_in,
                     FormatBytes(s.bytes_in), s.row_groups_in, s.rows);
  out +=
      fmt::format("out: {} files, {}{}, {} row groups\n", s.files_out, options.dry_run ? "~" : "",
                  FormatBytes(options.dry_run ? s.bytes_in : s.bytes_out), s.row_groups_out);
  if (!options.dry_run && !options.sorts_rows()) {
    out += fmt::format(
        "pages: {} copied verbatim, {} recompressed, {} dictionary-remapped, {} to PLAIN; {} "
        "dictionaries merged; {} BYTE_STREAM_SPLIT to PLAIN; column chunks: {} re-encoded, {} "
        "made of nulls\n",
        s.pages.pages_copied, s.pages.pages_recompressed, s.pages.pages_remapped,
        s.pages.pages_to_plain, s.pages.dictionaries_merged, s.pages.pages_unsplit,
        s.pages.chunks_reencoded, s.pages.null_chunks);
  }
  if (options.sorts_rows() && s.sort.partitions > 0) {
    out += fmt::format(
        "sort: {} rows of {} partitions by {}; {} sorted runs, {} spilled ({}); peak {} of {} a "
        "sort\n",
        s.sort.rows, s.sort.partitions,
        options.zorder_by.empty() ? FormatSortKeys(ParseSortKeys(options.sort_by))
                                  : fmt::format("zorder({})", fmt::join(options.zorder_by, ", ")),
        s.sort.runs, s.sort.spilled_runs, FormatBytes(s.sort.spilled_bytes),
        FormatBytes(s.sort.peak_held_bytes), FormatBytes(s.sort.held_budget));
  }
  if (s.sources_deleted > 0) out += fmt::format("deleted {} source files\n", s.sources_deleted);
  out += fmt::format(
      "time {:.2f} s ({}/s), peak memory {} of {} for items and {} of {} for column chunks{}{}, "
      "peak RSS {}{}\n",
      s.wall_seconds,
      FormatBytes(
          static_cast<int64_t>(static_cast<double>(s.bytes_in) / std::max(1e-9, s.wall_seconds))),
      FormatBytes(s.report.peak_memory), FormatBytes(s.report.memory_budget),
      FormatBytes(s.column_memory_peak), FormatBytes(s.column_memory_limit),
      s.column_memory_overdrafts > 0
          ? fmt::format(" ({} larger than their share, each run alone)", s.column_memory_overdrafts)
          : "",
      s.whole_input_memory_limit > 0 ? fmt::format(" and {} of {} for whole input files",
                                                   FormatBytes(s.whole_input_memory_peak),
                                                   FormatBytes(s.whole_input_memory_limit))
                                     : "",
      FormatBytes(s.peak_rss), s.verified ? "; outputs verified row by row" : "");
  for (const auto& [key, error] : s.failures) out += fmt::format("FAILED {}: {}\n", key, error);
  return out;
}

}  // namespace sluice::compact
