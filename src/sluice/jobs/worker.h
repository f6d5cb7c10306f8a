// Worker: the loop that processes a job's partitions in one process. It claims leases for its free
// slots plus a prefetch sized to what its slots finish during one ledger round trip (so quick
// partitions come in batches of up to claim_batch per transaction while slow ones are claimed only
// as slots free up: a crash then charges attempts almost only to partitions that had started; the
// arithmetic is claim_policy.h), runs up to `slots` tasks at once on its own threads, heartbeats
// every lease it holds from a timer thread (one HeartbeatMany per tick, on its own ledger
// connection), completes finished partitions together (one CompleteMany per batch, at most
// completion_delay after the first of them finished; CompleteAndClaim when it also needs
// partitions, one commit for both on PostgreSQL) and fails the others with exponential backoff and
// jitter, so the ledger retries them until max attempts. A task error a retry would meet again
// (task_fault.h) either stops the worker, with that error, its partition given back uncharged (a
// full disk, a read-only file system, no access to the output: every partition would meet it), or
// fails its partition for good at once (no access to its own input). With resource
// limits every partition it runs holds one unit of each resource, counted by the ledger across all
// workers of the job; it then claims no more than its free slots.
//
// Lease loss: when a heartbeat returns Conflict (another worker took the partition) the task is
// cancelled and its output discarded; when heartbeats keep failing (the ledger is unreachable) a
// task is cancelled before its lease could expire, so two workers never work on one partition
// knowingly. A late completion that the ledger refuses with Conflict is discarded too.
//
// With an output root (a local directory or an s3:// prefix), tasks write into a private
// per-attempt directory whose output is published only after the ledger accepted the completion
// (output_commit.h).
//
// A worker that finds nothing to claim, with no partition pending or running anywhere, calls
// on_idle when given: a staged job plans its next stage there (job_stages.h).
//
// Before a complete job is finished, done partitions whose committed output is gone (removed since
// they were done) are sent back to pending and run again (lost_output.h). A task that finds its
// input gone, the output of other partitions (LostInputError, lost_output.h), sends those back the
// same way and its own lease back uncharged, claimable after a delay of about backoff_base.
//
// The loop ends when the job is complete (then this worker finishes it: summary, output sweep),
// when the job is no longer running (finished or failed by another process), when a partition
// failed for good and stop_on_failure is set (the job is marked failed), or when cancel fires
// (leases held are released). Running tasks are cancelled and their leases released on the way out.
//
// Thread safety: RunWorker may be called from any thread; it owns its threads and connections.
// Tasks run concurrently on distinct threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sluice/base/cancellation.h"
#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

struct TaskContext {
  const ledger::Lease& lease;
  std::filesystem::path output_dir;  // the attempt's private directory; empty without output root
  CancellationToken cancel;          // fires when the lease is lost or the worker stops
};

// Processes one partition; throws (any exception) to fail the attempt with its message.
using PartitionTask = std::function<void(const TaskContext&)>;

struct WorkerOptions {
  std::string owner;  // shown as the lease owner; default "host:pid" (lease_owner.h)
  int slots = 1;      // tasks at once
  // Most partitions one claim (and one completion batch) carries; 1 claims nothing ahead.
  int64_t claim_batch = 64;
  // Resources each running partition holds, e.g. {{"es", 4}}: at most 4 of the job's partitions
  // run at once over all its workers. Every worker of the job should name the same limits.
  std::vector<ledger::ResourceLimit> resources;
  // How long a finished partition may wait for others to be completed in the same transaction.
  ledger::Duration completion_delay = std::chrono::milliseconds(5);
  ledger::Duration lease = std::chrono::seconds(30);
  ledger::Duration heartbeat_interval{0};  // default lease / 3
  ledger::Duration backoff_base = std::chrono::seconds(1);
  ledger::Duration backoff_max = std::chrono::seconds(60);
  std::filesystem::path output_root;  // empty: tasks write no committed output; may be s3://
  bool stop_on_failure = false;
  // Called (on the worker's ledger connection) when this worker has nothing to do and the job is
  // not complete: a staged job adds its next stage's partitions here (job_stages.h). May throw.
  std::function<void(ledger::Ledger&, ledger::JobId)> on_idle;
  // How often an idle worker looks for work that others hold or that waits for a backoff.
  ledger::Duration max_idle_poll = std::chrono::milliseconds(500);
  ledger::LedgerOptions ledger_options;
};

struct WorkerStats {
  int64_t completed = 0;         // completions the ledger accepted
  int64_t failed_attempts = 0;   // attempts that failed (retried or not)
  int64_t failed_final = 0;      // of those, partitions that ended failed
  int64_t lost = 0;              // leases lost to another worker (heartbeat or completion Conflict)
  int64_t released = 0;          // leases given back on the way out
  int64_t waited_for_input = 0;  // leases given back to wait for lost input to be rebuilt
  bool finished_job = false;     // this worker saw the job complete and finished it
};

// InvalidArgument for slots < 1 or claim_batch < 1; NotFound for an unknown job; Cancelled when
// cancel fired (after releasing every lease).
WorkerStats RunWorker(const std::string& ledger_url, ledger::JobId job, const PartitionTask& task,
                      const WorkerOptions& options, const CancellationToken& cancel = {});

}  // namespace sluice::jobs
