// The `sluice` command: one subcommand per file in this folder.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/heap_tuning.h"
#include "sluice/cli/batch_command.h"
#include "sluice/cli/bloom_command.h"
#include "sluice/cli/cat_command.h"
#include "sluice/cli/compact_command.h"
#include "sluice/cli/demo_command.h"
#include "sluice/cli/distinct_command.h"
#include "sluice/cli/groupby_command.h"
#include "sluice/cli/inspect_command.h"
#include "sluice/cli/job_flags.h"
#include "sluice/cli/join_command.h"
#include "sluice/cli/retry_command.h"
#include "sluice/cli/run_command.h"
#include "sluice/cli/slurm_command.h"
#include "sluice/cli/sort_command.h"
#include "sluice/cli/status_command.h"
#include "sluice/cli/wait_command.h"
#include "sluice/cli/worker_command.h"
#include "sluice/version.h"

namespace {

// The commands that move data through the heap, for which a restart's 20-40 ms buys back more
// (9% of a sorted compaction's CPU); the others (status, wait, retry, inspect, slurm, run, which
// starts commands) start as they are.
bool MovesData(int argc, char** argv) {
  static const std::set<std::string> kCommands = {"demo",    "compact", "worker",   "cat",  "bloom",
                                                  "groupby", "batch",   "distinct", "sort", "join"};
  if (argc < 2 || !kCommands.contains(argv[1])) return false;
  // `--submit` only defines the job in the ledger: the workers move its data.
  return std::none_of(argv + 2, argv + argc,
                      [](const char* arg) { return std::string_view(arg) == "--submit"; });
}

}  // namespace

int main(int argc, char** argv) {
  if (MovesData(argc, argv)) sluice::RestartWithHugePageHeap(argv);
  CLI::App app(
      "sluice runs big partitioned data jobs at the full speed of one machine inside a memory "
      "budget, and tells you which step is the bottleneck.",
      "sluice");
  app.set_version_flag("--version", "sluice " SLUICE_VERSION_STRING, "Print the version and exit");
  app.require_subcommand(1);
  std::map<std::string, std::function<int()>> commands;
  commands["demo"] = sluice::cli::AddDemoCommand(app);
  commands["compact"] = sluice::cli::AddCompactCommand(app);
  commands["run"] = sluice::cli::AddRunCommand(app);
  commands["worker"] = sluice::cli::AddWorkerCommand(app);
  commands["status"] = sluice::cli::AddStatusCommand(app);
  commands["wait"] = sluice::cli::AddWaitCommand(app);
  commands["retry"] = sluice::cli::AddRetryCommand(app);
  commands["inspect"] = sluice::cli::AddInspectCommand(app);
  commands["cat"] = sluice::cli::AddCatCommand(app);
  commands["bloom"] = sluice::cli::AddBloomCommand(app);
  commands["groupby"] = sluice::cli::AddGroupByCommand(app);
  commands["batch"] = sluice::cli::AddBatchCommand(app);
  commands["distinct"] = sluice::cli::AddDistinctCommand(app);
  commands["sort"] = sluice::cli::AddSortCommand(app);
  commands["join"] = sluice::cli::AddJoinCommand(app);
  commands["slurm"] = sluice::cli::AddSlurmCommand(app);
  try {
    // CLI11 wants the words last first.
    std::vector<std::string> args =
        sluice::cli::LeaveNonAddressAfterUi(std::vector<std::string>(argv + 1, argv + argc));
    std::reverse(args.begin(), args.end());
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (CLI::App* sub : app.get_subcommands()) return commands.at(sub->get_name())();
  } catch (const sluice::Error& e) {
    fmt::print(stderr, "sluice: {}\n", e.what());
    return e.kind() == sluice::ErrorKind::kCancelled ? 130 : 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // A file system call outside the error model: its message names the operation and paths.
    fmt::print(stderr, "sluice: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sluice: internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
