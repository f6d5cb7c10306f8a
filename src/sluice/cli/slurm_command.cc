#include "sluice/cli/slurm_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/cli/child_process.h"
#include "sluice/cli/interrupt.h"
#include "sluice/cli/job_follow.h"
#include "sluice/cli/ledger_flags.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/job_summary.h"
#include "sluice/ledger/ledger.h"

namespace sluice::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The commands that can define a job in the ledger without running it.
constexpr std::string_view kSubmittable[] = {"run",     "compact",  "bloom", "batch",
                                             "groupby", "distinct", "sort",  "join"};

struct Flags {
  int nodes = 1;
  std::string partition;
  std::string time_limit;
  std::string sbatch_args;
  std::string memory;
  int threads = 0;
  int workers = 0;
  double linger_seconds = 60;
  FollowOptions follow;
  LedgerFlags ledger;
  std::vector<std::string> job;  // COMMAND ARGS...
};

std::string ShellQuote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string SelfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

void CheckJobWords(const std::vector<std::string>& words) {
  if (words.empty()) throw InvalidArgument("give the job after --, e.g. -- compact SRC DST");
  if (std::find(std::begin(kSubmittable), std::end(kSubmittable), words[0]) ==
      std::end(kSubmittable)) {
    throw NotSupported(
        "`sluice {}` cannot run across hosts yet: `sluice slurm` runs the commands that can "
        "--submit their job to the ledger (run, compact, bloom, batch, groupby, distinct, sort, "
        "join)",
        words[0]);
  }
  for (const std::string& w : words) {
    if (w == "--") break;  // the words of run's own command
    if (w == "--ledger" || w.starts_with("--ledger=") || w == "--state" ||
        w.starts_with("--state=") || w == "--submit") {
      throw InvalidArgument("give {} to `sluice slurm` itself, before the job's words", w);
    }
  }
}

// `sluice COMMAND --submit ARGS...` in a child; the job's name from what it prints.
std::string SubmitJob(const Flags& flags, const std::string& url) {
  std::vector<std::string> argv = {SelfPath(), flags.job[0], "--submit"};
  argv.insert(argv.end(), flags.job.begin() + 1, flags.job.end());
  ChildResult submitted = RunChild(argv, {{std::string(kLedgerEnvironmentVariable), url}});
  fmt::print("{}", submitted.out);
  if (submitted.exit_code != 0) {
    throw InvalidArgument("submitting the job failed (sluice {} exited with {})", flags.job[0],
                          submitted.exit_code);
  }
  std::smatch m;
  // Every --submit names its job in the worker command it suggests, quoted: compact's names hold
  // spaces and colons ("compact s3://a -> s3://b").
  static const std::regex kSubmitted("--job '([^']+)'");
  if (!std::regex_search(submitted.out, m, kSubmitted)) {
    throw InternalError("sluice {} --submit did not name its job: {}", flags.job[0], submitted.out);
  }
  return m[1];
}

// The srun line the allocation runs: a worker per node, each kept when another fails.
std::string WorkerScript(const Flags& flags, const std::string& job) {
  std::string line = "srun --no-kill --kill-on-bad-exit=0 " + ShellQuote(SelfPath()) +
                     " worker --job " + ShellQuote(job);
  if (!flags.memory.empty()) line += " --memory " + ShellQuote(flags.memory);
  if (flags.threads > 0) line += fmt::format(" --threads {}", flags.threads);
  if (flags.workers > 0) line += fmt::format(" --workers {}", flags.workers);
  return line;
}

// sbatch's job id for the allocation.
std::string SubmitAllocation(const Flags& flags, const std::string& job, const std::string& url) {
  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "--nodes",
                                   std::to_string(flags.nodes),
                                   "--ntasks-per-node",
                                   "1",
                                   "--job-name",
                                   "sluice-" + job,
                                   "--output",
                                   "slurm-%j-sluice.out"};
  if (!flags.partition.empty()) argv.insert(argv.end(), {"--partition", flags.partition});
  if (!flags.time_limit.empty()) argv.insert(argv.end(), {"--time", flags.time_limit});
  std::istringstream extra(flags.sbatch_args);
  for (std::string word; extra >> word;) argv.push_back(word);
  argv.insert(argv.end(), {"--wrap", WorkerScript(flags, job)});
  ChildResult r = RunChild(argv, {{std::string(kLedgerEnvironmentVariable), url}});
  const std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (r.exit_code != 0 || id.empty()) {
    throw IoError("sbatch refused the allocation for job {} (exit {})", job, r.exit_code);
  }
  return id;
}

// Whether Slurm still has the allocation (queued, running or finishing).
bool AllocationAlive(const std::string& id) {
  ChildResult r = RunChild({"squeue", "--noheader", "--jobs", id, "--format", "%T"});
  return r.exit_code == 0 && r.out.find_first_not_of(" \n") != std::string::npos;
}

// Waits for the workers to leave; cancels the allocation after `seconds`.
void AwaitAllocationEnd(const std::string& id, double seconds) {
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1e3));
  while (AllocationAlive(id)) {
    if (Clock::now() >= until) {
      Log(LogLevel::kWarn, "Slurm job {} still running {} s after the job ended; cancelling it", id,
          seconds);
      RunChild({"scancel", id});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int RunOnSlurm(const Flags& flags) {
  if (flags.nodes < 1) throw InvalidArgument("--nodes must be at least 1");
  CheckJobWords(flags.job);
  const std::string url = flags.ledger.Url();
  CancellationToken interrupt = InstallInterruptHandler();
  const std::string job_name = SubmitJob(flags, url);
  auto ledger = ledger::OpenLedger(url);
  const ledger::JobRecord job = jobs::RequireJob(*ledger, job_name);
  const std::string allocation = SubmitAllocation(flags, job_name, url);
  fmt::print("sluice: Slurm job {} runs a worker on each of {} nodes (log: slurm-{}-sluice.out)\n",
             allocation, flags.nodes, allocation);
  std::fflush(stdout);
  Clock::time_point looked = Clock::now();
  auto check_allocation = [&] {
    if (Clock::now() - looked < std::chrono::seconds(2)) return;
    looked = Clock::now();
    if (AllocationAlive(allocation)) return;
    if (ledger->GetJob(job.id).status != ledger::JobStatus::kRunning) return;
    throw IoError(
        "Slurm job {} ended while job {} still runs (see slurm-{}-sluice.out); run `sluice "
        "slurm` again, or `sluice worker --job {}` anywhere, to finish it",
        allocation, job_name, allocation, job_name);
  };
  std::optional<ledger::JobRecord> ended;
  try {
    ended = FollowJob(*ledger, job.id, flags.follow, interrupt, check_allocation);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kCancelled) RunChild({"scancel", allocation});
    throw;
  }
  if (!ended) {
    RunChild({"scancel", allocation});
    fmt::print(stderr, "sluice: job {} still running after {} s; cancelled Slurm job {}\n",
               job_name, flags.follow.timeout_seconds, allocation);
    return 2;
  }
  AwaitAllocationEnd(allocation, flags.linger_seconds);
  fmt::print("{}", jobs::FormatJobSummary(*ended, ended->summary_json));
  return ended->status == ledger::JobStatus::kDone ? 0 : 1;
}

}  // namespace

std::function<int()> AddSlurmCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "slurm",
      "Run a job across a Slurm cluster: submit it to the ledger (`sluice COMMAND --submit`), "
      "then one allocation of --nodes nodes whose srun starts `sluice worker --job NAME` on "
      "each; follow the job until it ends and the workers leave. The ledger (a PostgreSQL URL "
      "every node reaches) goes to the workers in $SLUICE_LEDGER, never on a command line; the "
      "job's files must be on storage every node sees (s3:// or a shared file system). Exit "
      "status: 0 when the job is done, 1 when it failed, 2 on --timeout. Example: sluice slurm "
      "--nodes 3 --ledger postgresql://ledger-host/jobs -- compact s3://raw/events "
      "s3://lake/events");
  auto flags = std::make_shared<Flags>();
  command->add_option("--nodes", flags->nodes, "Nodes to allocate, one worker each")
      ->capture_default_str();
  command->add_option("--partition", flags->partition, "Slurm partition (queue) to run in");
  command->add_option("--time", flags->time_limit, "Slurm time limit of the allocation");
  command->add_option("--sbatch", flags->sbatch_args,
                      "More words for sbatch, split at spaces, e.g. --sbatch='--account=lab "
                      "--qos=high'");
  command->add_option("--memory", flags->memory, "Each worker's --memory");
  command->add_option("--threads", flags->threads, "Each worker's --threads");
  command->add_option("--workers", flags->workers, "Each worker's --workers (partitions at once)");
  command
      ->add_option("--interval", flags->follow.interval_seconds,
                   "Seconds between looks at the ledger")
      ->capture_default_str();
  command
      ->add_option("--timeout", flags->follow.timeout_seconds,
                   "Cancel the allocation and give up after this many seconds (0: never)")
      ->capture_default_str();
  command
      ->add_option("--linger", flags->linger_seconds,
                   "Seconds to let workers leave after the job ended before the allocation "
                   "is cancelled")
      ->capture_default_str();
  flags->ledger.Add(*command);
  command->add_option("job", flags->job, "-- COMMAND ARGS...: the job, as you would run it here");
  // After `--` the job's words fill `job` up to a second -- (run's own command), which comes
  // with the words after it as the rest.
  command->prefix_command();
  return [flags, command] {
    std::vector<std::string> rest = command->remaining();
    // When `job` already holds the job's own -- and the words after it, CLI11 leaves a lone
    // "--" here; appended, it would become the last word of the job's command (batch's task
    // name, its cache keys).
    if (rest.size() == 1 && rest.front() == "--" &&
        std::find(flags->job.begin(), flags->job.end(), "--") != flags->job.end()) {
      rest.clear();
    }
    if (!rest.empty()) {
      // Words before the job that are no option of this command arrive here too.
      if (flags->job.empty() || rest.front() != "--") {
        throw InvalidArgument(
            "sluice slurm: unexpected {} (give the job after --: sluice slurm "
            "[OPTIONS] -- COMMAND ARGS...)",
            rest.front());
      }
      flags->job.insert(flags->job.end(), rest.begin(), rest.end());
    }
    return RunOnSlurm(*flags);
  };
}

}  // namespace sluice::cli
