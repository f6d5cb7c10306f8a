#include "sluice/cli/batch_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/cli/csv_flags.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/cli/where_flag.h"
#include "sluice/flow/report_file.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/batch/batch_command_spec.h"
#include "sluice/jobs/batch/batch_join.h"
#include "sluice/jobs/batch/batched_job.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

struct BatchFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> by;
  int chunks = 64;
  std::string output;
  std::string name;
  std::string version = "1";
  int64_t max_attempts = 3;
  double retry_delay = 1;
  int chunks_in_flight = 0;
  std::string ledger;
  std::string state;
  bool submit = false;
  std::string work_dir;
  std::string where;
  std::vector<std::string> then;
  int then_concurrency = 128;
  std::string then_version = "1";
  std::string finalize;
  std::vector<std::string> command;
  JobFlags job;
  CsvFlags csv;
};

bool IsInputName(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

bool MatchesFiles(const std::string& pattern) {
  try {
    return !fs::LocalFileSystem()->Glob(pattern).empty();
  } catch (const Error&) {
    return false;
  }
}

// "-i PATTERN" joins the input named "input"; "-i NAME=PATTERN" names it, unless the whole text
// matches files itself (a hive path such as date=2024-01-01/*.parquet). Each name with its
// patterns, in the order first named; nothing is listed yet.
std::vector<std::pair<std::string, std::vector<std::string>>> ParseInputFlags(
    const std::vector<std::string>& flags) {
  std::vector<std::pair<std::string, std::vector<std::string>>> named;
  for (const std::string& flag : flags) {
    std::string name = "input", pattern = flag;
    const size_t eq = flag.find('=');
    if (eq != std::string::npos && IsInputName(std::string_view(flag).substr(0, eq)) &&
        !MatchesFiles(flag)) {
      name = flag.substr(0, eq);
      pattern = flag.substr(eq + 1);
    }
    if (pattern.empty()) throw InvalidArgument("--input {} names no files", flag);
    auto it = std::find_if(named.begin(), named.end(), [&](auto& n) { return n.first == name; });
    if (it == named.end()) it = named.insert(named.end(), {name, {}});
    it->second.push_back(pattern);
  }
  return named;
}

// --limit s3=N stays the process's S3 limit; any other NAME=N is a resource the ledger holds
// across every process of the job (held by each --then step attempt while it runs, or without
// steps by each chunk through its task), as for `run`.
std::vector<ledger::ResourceLimit> TakeLedgerLimits(JobFlags& job) {
  std::vector<std::string> s3;
  std::vector<ledger::ResourceLimit> resources;
  const auto parsed = ParseLimitFlags(job.limits, "NAME=N (s3=4, warehouse=128)");
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (parsed[i].first == "s3") {
      s3.push_back(job.limits[i]);
    } else {
      resources.push_back({parsed[i].first, parsed[i].second});
    }
  }
  try {
    ledger::CheckResourceLimits(resources);
  } catch (Error& error) {
    error.With("flag", "--limit");
    throw;
  }
  job.limits = std::move(s3);
  return resources;
}

// The job's fields from the flags; the task is named after the command line by default, so
// another command is another task.
batch::BatchCommandSpec CommandSpec(const BatchFlags& flags, std::vector<std::string> input_names,
                                    std::vector<ledger::ResourceLimit> resources) {
  batch::BatchCommandSpec spec;
  spec.command = flags.command;
  spec.input_names = std::move(input_names);
  spec.by = flags.by;
  spec.chunks = flags.chunks;
  spec.name = flags.name.empty() ? fmt::format("{}", fmt::join(flags.command, " ")) : flags.name;
  spec.version = flags.version;
  spec.max_attempts = flags.max_attempts;
  if (flags.retry_delay < 0) throw InvalidArgument("--retry-delay must not be negative");
  spec.retry_delay_ms = static_cast<int64_t>(flags.retry_delay * 1000);
  spec.chunks_in_flight = flags.chunks_in_flight;
  spec.resources = std::move(resources);
  spec.then = flags.then;
  spec.then_version = flags.then_version;
  spec.then_concurrency = flags.then_concurrency;
  spec.finalize = flags.finalize;
  return spec;
}

// --submit: splits here, defines the job in the ledger and computes nothing (batch_join.h).
int SubmitBatchJob(const BatchFlags& flags, const batch::BatchCommandSpec& spec,
                   const std::vector<BatchInput>& inputs, const RunOptions& run) {
  if (!flags.state.empty()) throw InvalidArgument("--state is each worker's own with --submit");
  LedgerFlags ledger;
  ledger.url = flags.ledger;
  if (ledger.url.empty()) {
    const char* env = std::getenv(std::string(kLedgerEnvironmentVariable).c_str());
    if (env == nullptr || *env == '\0') {
      throw InvalidArgument("--submit needs the ledger every worker reaches: --ledger or ${}",
                            kLedgerEnvironmentVariable);
    }
    ledger.url = env;
  }
  const std::string work_dir =
      flags.work_dir.empty() ? batch::DefaultBatchWorkDir(flags.output) : flags.work_dir;
  const batch::SubmittedBatch submitted =
      batch::SubmitBatch(ledger.Url(), spec, inputs, flags.output, work_dir, run);
  fmt::print(
      "submitted job {}: {} of {} chunks to compute{}; run `sluice worker --job '{}' --ledger "
      "URL` on any host to run it\n",
      submitted.job_name, submitted.chunks_to_compute, submitted.report.chunks.size(),
      submitted.resumed ? " (job taken up)" : "", submitted.job_name);
  return 0;
}

int RunBatch(const BatchFlags& flags) {
  const auto named = ParseInputFlags(flags.inputs);
  // Before any input is listed: the S3 share is set before the first s3:// use.
  std::vector<std::string> paths = {flags.output};
  for (const auto& [name, patterns] : named)
    paths.insert(paths.end(), patterns.begin(), patterns.end());
  if (!flags.work_dir.empty()) paths.push_back(flags.work_dir);
  JobFlags job_flags = flags.job;
  std::vector<ledger::ResourceLimit> resources = TakeLedgerLimits(job_flags);
  RunOptions run = job_flags.ToRunOptions(InstallInterruptHandler(), paths);
  std::vector<BatchInput> inputs;
  for (const auto& [name, patterns] : named) inputs.push_back(BatchInput::Files(name, patterns));
  run.report_path.clear();  // the batched report (both phases) goes there instead
  for (BatchInput& in : inputs) in.where = flags.where;
  for (BatchInput& in : inputs) in.csv = flags.csv.ToOptions();  // for CSV inputs
  std::vector<std::string> names;
  for (const BatchInput& in : inputs) names.push_back(in.name);
  const batch::BatchCommandSpec spec = CommandSpec(flags, std::move(names), std::move(resources));
  if (flags.submit) return SubmitBatchJob(flags, spec, inputs, run);
  const BatchedJob job = spec.MakeJob(flags.ledger, flags.state);
  const BatchedOptions& options = job.options();
  auto copy_report = [&] {
    if (flags.job.report.empty()) return;
    const std::string last = (BatchStateDir(options, flags.output) / "last_report.json").string();
    std::error_code ec;
    if (!std::filesystem::exists(last, ec)) return;
    if (!IsHtmlReportPath(flags.job.report)) {
      std::filesystem::copy_file(last, flags.job.report,
                                 std::filesystem::copy_options::overwrite_existing, ec);
      return;
    }
    std::ifstream in(last);
    nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!document.is_discarded()) WriteReportFile(document, flags.job.report);
  };
  BatchedReport report;
  try {
    report = job.Run(inputs, flags.output, run);
  } catch (const Error&) {
    copy_report();
    throw;
  }
  copy_report();
  fmt::print("{}", report.Summary());
  fmt::print("wrote {} ({} files, manifest {}/manifest.json)\n", report.output_dir,
             report.chunks.size() - static_cast<size_t>(std::count_if(
                                        report.chunks.begin(), report.chunks.end(),
                                        [](const ChunkOutcome& o) { return o.file.empty(); })),
             report.output_dir);
  fmt::print("{}", fs::S3RequestSummary());
  return 0;
}

}  // namespace

std::function<int()> AddBatchCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "batch",
      "Run a command once per chunk of the inputs, split by a stable hash of grouping columns "
      "(all inputs the same way, so rows with equal keys meet in one chunk), and gather the "
      "chunks' outputs into OUTDIR as one table: chunk-NNNNN.parquet files plus manifest.json "
      "(readable by `sluice inspect OUTDIR`, `sluice cat`, DuckDB's read_parquet('OUTDIR/"
      "*.parquet')). Each chunk's output is cached (in OUTDIR/.sluice/cache) by a key of the "
      "task (--name, --version), the chunking and the chunk's input rows: a re-run recomputes "
      "only chunks whose inputs changed, and resumes a killed run. Inputs and OUTDIR may be "
      "s3://bucket/prefix URLs; the command still reads and writes local files (the chunk's "
      "split inputs and its output, uploaded once written). Placeholders in the command: "
      "{input} (the only input's chunk file) or {input.NAME}, {output} (the Parquet file to "
      "write), {chunk}, {chunks}, {attempt}. --then runs further steps per chunk (an upload, a "
      "COPY INTO) and --finalize one step over the whole output. --limit NAME=N (other than "
      "s3) is held by the ledger across every process of the job: each --then step holds a unit "
      "while it runs (without --then, each chunk through its task). Example: sluice batch -i "
      "'orders/*.parquet' -i "
      "customers=customers.csv --by customer_id --chunks 64 -o out -- python3 task.py "
      "{input.input} {input.customers} {output}");
  auto flags = std::make_shared<BatchFlags>();
  command
      ->add_option("-i,--input", flags->inputs,
                   "Input files (Parquet or CSV; paths, globs or directories, local or s3://), "
                   "repeatable. "
                   "NAME=PATTERN names an input (placeholder {input.NAME}); unnamed patterns "
                   "form the input named 'input'. A NAME=... text that itself matches files is "
                   "taken as a path (hive directories such as date=2024-01-01)")
      ->required()
      ->allow_extra_args(false);
  AddWhereOption(*command, flags->where, "--where",
                 "input rows (every input's; each must have the columns EXPR names)");
  command->add_option("--by", flags->by, "Grouping columns (comma-separated), in every input")
      ->delimiter(',')
      ->required();
  command->add_option("--chunks", flags->chunks, "Number of chunks")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("-o,--output", flags->output, "Output directory or s3://bucket/prefix")
      ->required();
  command->add_option("--name", flags->name,
                      "The task's name in cache keys (default: the command line)");
  command
      ->add_option("--version", flags->version,
                   "The task's version in cache keys: bump it when the command's behaviour "
                   "changes, and every chunk is recomputed")
      ->capture_default_str();
  command->add_option("--max-attempts", flags->max_attempts, "Attempts per chunk")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--retry-delay", flags->retry_delay, "Seconds before a failed chunk's retry")
      ->capture_default_str();
  command->add_option("--chunks-in-flight", flags->chunks_in_flight,
                      "Chunks claimed at once (default 2 x threads + 2)");
  command->add_option("--ledger", flags->ledger, "Ledger URL (default sqlite at STATE/ledger.db)");
  command->add_option("--state", flags->state,
                      "Local directory for the ledger, the split inputs, the command's outputs "
                      "before they are cached and the last report (default OUTDIR/.sluice; for an "
                      "s3:// OUTDIR, .sluice/batch-<hash of OUTDIR>)");
  command->add_flag("--submit", flags->submit,
                    "Split the inputs here, define the job in the ledger (--ledger or "
                    "$SLUICE_LEDGER, which every worker reaches) and compute nothing: `sluice "
                    "worker --job NAME` on any hosts computes the chunks, and one of them "
                    "publishes OUTDIR");
  command->add_option("--work-dir", flags->work_dir,
                      "With --submit: where the split chunk files wait for the workers, a "
                      "directory every host sees or an s3:// prefix; removed when the job is "
                      "published (default: OUTDIR.sluice-batch)");
  command
      ->add_option(
          "--then", flags->then,
          "A further step per chunk once its command succeeded (repeatable, run in order): one "
          "command line, split into words like a shell's but run without one. It runs on the I/O "
          "pool, --then-concurrency chunks at once, with its own retries and its own cache entry "
          "(a chunk whose step failed runs the step again without recomputing; a step done for the "
          "same chunk output is not run again; another command line is another step). "
          "Placeholders: {output} (the chunk's output file in the cache, or its s3:// URL), {file} "
          "(chunk-NNNNN.parquet), {key} (the chunk's cache key: an idempotency key), {chunk}, "
          "{chunks}, {rows}, {attempt}. Example: --then 'curl -fsS -d \"COPY INTO t FROM "
          "@stage/{key}\" http://warehouse/load'")
      ->allow_extra_args(false);
  command
      ->add_option("--then-concurrency", flags->then_concurrency,
                   "Chunks in each --then step at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--then-version", flags->then_version,
                   "The --then steps' version in their cache keys: bump it to run them again")
      ->capture_default_str();
  command->add_option(
      "--finalize", flags->finalize,
      "One step after every chunk's command and steps succeeded and the manifest is written, "
      "run once per change of the chunk set (a failure leaves the chunks cached and published, "
      "and the next run retries it). Placeholders: {manifest}, {outputs} (every chunk file, "
      "joined with spaces), {output} (OUTDIR), {key}, {chunks}, {attempt}");
  flags->job.Add(*command);
  flags->csv.Add(*command);
  command->add_option("command", flags->command, "The command and its arguments, after --")
      ->required();
  return [flags] { return RunBatch(*flags); };
}

}  // namespace sluice::cli
