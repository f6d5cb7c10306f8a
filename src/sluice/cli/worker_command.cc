#include "sluice/cli/worker_command.h"

#include <fmt/format.h>

#include <memory>
#include <set>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/worker_flags.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/batch/batch_join.h"
#include "sluice/jobs/bloom/bloom_ledger_job.h"
#include "sluice/jobs/compact/compact_job.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_spec.h"
#include "sluice/jobs/run/command_job.h"
#include "sluice/jobs/shuffle/shuffle_job.h"

namespace sluice::cli {
namespace {

struct Flags {
  std::string job;
  bool any = false;
  LedgerFlags ledger;
  WorkerFlags worker;
  JobFlags job_flags;
};

// Partitions a compaction keeps in flight when --workers is not given (compact's default).
constexpr int kCompactSlots = 8;

// The files and URLs a job reads and writes, so that an s3:// one gets its share of --memory.
std::vector<std::string> JobPaths(const ledger::JobRecord& job) {
  const std::string kind = jobs::JobKindOf(job);
  if (shuffle::IsShuffleJobKind(kind)) {
    shuffle::ShuffleSpec s = shuffle::ShuffleSpec::FromJson(job.options_json);
    s.inputs.push_back(s.output);
    s.inputs.push_back(s.work_dir);
    return s.inputs;
  }
  if (kind == kBloomJobKind) {
    BloomSpec b = BloomSpec::FromJson(job.options_json);
    b.inputs.push_back(b.output);
    b.inputs.push_back(b.work_dir);
    return b.inputs;
  }
  if (kind == batch::kBatchJobKind) return batch::BatchJobPaths(job);
  if (kind != compact::kCompactJobKind) return {};
  compact::CompactOptions c = compact::CompactOptions::FromWorkJson(job.options_json);
  return {c.source, c.destination};
}

// What this worker of a staged job did, its failed partitions' errors, and the output once the
// job is done; true unless the job failed.
bool PrintStagedJob(const jobs::StagedWorkerResult& joined, std::string_view kind,
                    const std::string& job, const std::string& output) {
  fmt::print("worker: {} completed, {} failed attempts, {} leases lost\n", joined.stats.completed,
             joined.stats.failed_attempts, joined.stats.lost);
  for (const std::string& error : joined.errors) fmt::print(stderr, "sluice: failed {}\n", error);
  if (joined.status == ledger::JobStatus::kDone) {
    fmt::print("{}: job {} done; wrote {}\n", kind, job, output);
  }
  fmt::print("{}", fs::S3RequestSummary());
  return joined.status != ledger::JobStatus::kFailed;
}

// A group-by, distinct, sort or join across hosts.
bool JoinShuffleJob(const std::string& url, const ledger::JobRecord& job,
                    const jobs::WorkerOptions& options, const RunOptions& run) {
  const shuffle::JoinedShuffle joined = shuffle::JoinShuffle(url, job.name, options, run);
  return PrintStagedJob(joined, joined.spec.kind, job.name, joined.spec.output);
}

// A bloom filter across hosts.
bool JoinBloomJob(const std::string& url, const ledger::JobRecord& job,
                  const jobs::WorkerOptions& options, const RunOptions& run) {
  const JoinedBloom joined = JoinBloom(url, job.name, options, run);
  return PrintStagedJob(joined, "bloom", job.name, joined.spec.output);
}

// A batch across hosts: prints what this worker computed and, from the worker that published the
// output, the whole job's report.
bool JoinBatchJob(const Flags& flags, const std::string& url, const ledger::JobRecord& job,
                  const jobs::WorkerOptions& options, const RunOptions& run) {
  const BatchWorkerOptions worker{flags.worker.workers, options.claim_batch, options.lease};
  batch::JoinedBatch joined = batch::JoinBatch(url, job.name, worker, run);
  const BatchedReport& report = joined.joined.report;
  fmt::print("worker: {} chunk attempts{}\n", joined.joined.attempts,
             joined.joined.published ? "; published the output" : "");
  if (joined.joined.published) fmt::print("{}", report.Summary());
  for (const std::string& error : joined.errors) fmt::print(stderr, "sluice: failed {}\n", error);
  if (joined.status == ledger::JobStatus::kDone) {
    fmt::print("batch: job {} done; wrote {}\n", job.name, joined.output);
  }
  fmt::print("{}", fs::S3RequestSummary());
  return joined.status != ledger::JobStatus::kFailed;
}

// Works on one job until it is complete; true when it ended well.
bool JoinJob(const Flags& flags, const std::string& url, const ledger::JobRecord& job,
             const RunOptions& run) {
  jobs::WorkerOptions options = flags.worker.ToOptions();
  std::string kind = jobs::JobKindOf(job);
  fmt::print(stderr, "sluice: worker joins {} job {}\n", kind.empty() ? "run" : kind, job.name);
  if (kind == compact::kCompactJobKind) {
    if (flags.worker.workers == 0) options.slots = kCompactSlots;
    compact::JoinedCompaction joined = compact::JoinCompaction(url, job.name, options, run);
    fmt::print("{}", joined.summary.report.Summary());
    fmt::print("{}", compact::FormatCompactSummary(joined.summary, joined.options));
    fmt::print("{}", fs::S3RequestSummary());
    return joined.summary.partitions_failed == 0;
  }
  if (shuffle::IsShuffleJobKind(kind)) return JoinShuffleJob(url, job, options, run);
  if (kind == kBloomJobKind) return JoinBloomJob(url, job, options, run);
  if (kind == batch::kBatchJobKind) return JoinBatchJob(flags, url, job, options, run);
  if (!kind.empty() && kind != jobs::kCommandJobKind) {
    throw NotSupported("job {} is a {} job, which `sluice worker` cannot join", job.name, kind)
        .With("job", job.name);
  }
  jobs::WorkerStats stats = jobs::JoinCommandJob(url, job.name, options, run.cancel);
  fmt::print("worker: {} completed, {} failed attempts, {} leases lost{}\n", stats.completed,
             stats.failed_attempts, stats.lost, stats.finished_job ? "; finished the job" : "");
  auto ledger = ledger::OpenLedger(url);
  return ledger->GetJob(job.id).status != ledger::JobStatus::kFailed;
}

// The running jobs this worker may join, oldest first, minus those it has seen (and the ones
// other jobs keep for their bookkeeping).
std::vector<ledger::JobRecord> RunningJobs(ledger::Ledger& ledger, const std::set<int64_t>& seen) {
  std::vector<ledger::JobRecord> out;
  for (ledger::JobRecord& job : ledger.ListJobs()) {
    if (job.status == ledger::JobStatus::kRunning && !seen.contains(job.id) &&
        !jobs::IsAuxiliaryJob(job)) {
      out.push_back(std::move(job));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

// --any: joins every running job in turn, and jobs that appear meanwhile, until none is left.
// A job this worker cannot run (another version, an unknown kind) is passed over with a warning.
int JoinAny(const Flags& flags, const std::string& url, const CancellationToken& interrupt) {
  auto ledger = ledger::OpenLedger(url);
  std::vector<std::string> paths;
  for (const ledger::JobRecord& job : RunningJobs(*ledger, {})) {
    for (std::string& p : JobPaths(job)) paths.push_back(std::move(p));
  }
  RunOptions run = flags.job_flags.ToRunOptions(interrupt, paths);
  std::set<int64_t> seen;
  int joined = 0, failed = 0;
  for (;;) {
    std::vector<ledger::JobRecord> jobs = RunningJobs(*ledger, seen);
    if (jobs.empty() || interrupt.cancelled()) break;
    const ledger::JobRecord& job = jobs.front();
    seen.insert(job.id);
    try {
      jobs::CheckJobVersion(job);
      ++joined;
      if (!JoinJob(flags, url, job, run)) ++failed;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kInvalidArgument && e.kind() != ErrorKind::kNotSupported) throw;
      Log(LogLevel::kWarn, "passing over job {}: {}", job.name, e.what());
    }
  }
  fmt::print("worker: joined {} jobs, {} failed; no running job left\n", joined, failed);
  return failed == 0 ? 0 : 1;
}

int Work(const Flags& flags) {
  if (flags.any == !flags.job.empty()) throw InvalidArgument("give either --job NAME or --any");
  std::string url = flags.ledger.Url();
  CancellationToken interrupt = InstallInterruptHandler();
  if (flags.any) return JoinAny(flags, url, interrupt);
  ledger::JobRecord job = jobs::RequireJob(*ledger::OpenLedger(url), flags.job);
  jobs::CheckJobVersion(job);
  RunOptions run = flags.job_flags.ToRunOptions(interrupt, JobPaths(job));
  return JoinJob(flags, url, job, run) ? 0 : 1;
}

}  // namespace

std::function<int()> AddWorkerCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "worker",
      "Join jobs defined in the ledger (by `sluice run` or `sluice compact`, or the --submit of "
      "run, compact, bloom, batch, groupby, distinct, sort and join) "
      "and work on their partitions until they are complete: --job NAME for one job, --any for "
      "every running job, oldest first, until none is left. The job's stored spec says what to "
      "do; these flags say how much of this host to use. Start workers on as many hosts as "
      "reach the ledger (and the job's files or s3:// URLs). Exit status 1 when a joined job "
      "failed.");
  auto flags = std::make_shared<Flags>();
  command->add_option("--job", flags->job, "Job name");
  command->add_flag("--any", flags->any,
                    "Join every running job in the ledger, one after another, until none is left");
  flags->ledger.Add(*command);
  flags->worker.Add(*command, /*log_level=*/false);
  flags->job_flags.Add(*command);
  return [flags] { return Work(*flags); };
}

}  // namespace sluice::cli
