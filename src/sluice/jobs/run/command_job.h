// CommandJob: `sluice run` as a library call. A partitioned job that runs an external command once
// per partition: the job is created in the ledger (or resumed, when a job of that name holds the
// same work), the partitioner streams its partitions into the ledger on its own thread while a
// local worker already claims and runs them, and the call returns when the job is complete or
// this worker stops. Any `sluice worker` (JoinCommandJob) may join the job from another process
// or machine with only the ledger URL and the job name: the job's CommandJobSpec is stored in the
// ledger as its options.
//
// Ownership: a CommandJob owns its partitioner. Thread safety: use a CommandJob from one thread;
// Run owns the threads it starts and joins them before it returns.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/jobs/command_template.h"
#include "sluice/jobs/create_or_resume.h"
#include "sluice/jobs/partitioner.h"
#include "sluice/jobs/run/command_job_spec.h"
#include "sluice/jobs/worker.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

struct CommandJobRequest {
  std::string name;  // unique in the ledger; running the same work again resumes the job
  std::unique_ptr<Partitioner> partitioner;
  std::string partition_by;          // the partitioner's text, stored to recognise the same work
  std::vector<std::string> command;  // the program and its arguments, with {placeholders}
  // Where committed {output} directories go; empty: <state_dir>/output/<encoded name>.
  std::filesystem::path output;
  std::filesystem::path state_dir;
  int64_t max_attempts = 3;
  bool stop_on_failure = true;
  // Every partition holds one unit of each, over all workers of the job. A resumed job keeps the
  // limits it was created with.
  std::vector<ledger::ResourceLimit> resources;
};

struct CommandJobResult {
  ledger::JobRecord job;  // as the ledger holds it after this process's worker stopped
  FeedResult fed;         // what this process listed
  WorkerStats worker;     // what this process's worker did
  // The job is done, or it failed with stop_on_failure off and every partition finished.
  bool succeeded = false;
};

// Lines for the user as the job starts ("resuming job NAME").
using CommandJobNotice = std::function<void(std::string_view)>;

class CommandJob {
 public:
  // Checks the command's placeholders against the partitioner's fields and the output: an
  // InvalidArgument before anything is opened or written.
  explicit CommandJob(CommandJobRequest request);

  const CommandJobSpec& spec() const { return spec_; }

  // Creates or resumes the job and runs a worker beside the listing until the job is complete or
  // the worker stops. InvalidArgument when a job of that name holds other work (another command,
  // partitioning or output); Cancelled when cancel fires.
  CommandJobResult Run(const std::string& ledger_url, WorkerOptions worker,
                       const CancellationToken& cancel, const CommandJobNotice& notice = {});

  // `--submit`: creates or resumes the job and lists every partition into it, running none; any
  // `sluice worker` (JoinCommandJob) then runs them. The result's worker is empty.
  CommandJobResult Submit(const std::string& ledger_url, const CancellationToken& cancel,
                          const CommandJobNotice& notice = {});

 private:
  std::string name_;
  std::unique_ptr<Partitioner> partitioner_;
  CommandJobSpec spec_;
  CommandTemplate command_;

  // Creates the job, or resumes it when it holds the same work (taking its stored limits).
  OpenedJob Open(ledger::Ledger& ledger, const CommandJobNotice& notice);
};

// `sluice worker`: processes partitions of the command job `name` until it is done, under the
// job's stored command, output and limits. NotFound when there is no such job; InvalidArgument
// when another sluice version created it or it is another kind of job; InvalidData when its
// options are not a command job's.
WorkerStats JoinCommandJob(const std::string& ledger_url, const std::string& name,
                           WorkerOptions worker, const CancellationToken& cancel);

}  // namespace sluice::jobs
