// RunWorkerBesidePipeline: the threading of a job whose ledger worker tasks hand their partitions
// to one long-running flow pipeline (compact, batch). The worker runs on its own thread; its tasks
// push units into a HandOffQueue and wait on each unit's Completion while the pipeline, on the
// caller's thread, pops and settles them. Each side's end is told to the other, or they would
// wait on each other forever: when the worker stops (job done, failure, cancellation) the queue
// is closed, so the pipeline drains it and ends; when the pipeline fails, `stop` is cancelled,
// so the tasks waiting on their units and the worker give up.
//
// Ownership: the caller owns the queue, the stop source and what run_pipeline writes; both
// threads are joined before this returns. Thread safety: task runs on the worker's task threads,
// run_pipeline on the caller's thread, concurrently.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "sluice/base/cancellation.h"
#include "sluice/flow/hand_off_queue.h"
#include "sluice/jobs/worker.h"

namespace sluice::jobs {

// What each side threw, for the caller to report in its own order.
struct WorkerBesidePipelineErrors {
  std::exception_ptr pipeline;
  std::exception_ptr worker;
};

// Runs RunWorker(ledger_url, job, task, options, stop) beside run_pipeline(); a failing
// pipeline cancels stop with pipeline_failed as the reason.
template <typename T>
WorkerBesidePipelineErrors RunWorkerBesidePipeline(const std::string& ledger_url, ledger::JobId job,
                                                   const PartitionTask& task,
                                                   const WorkerOptions& options,
                                                   CancellationSource& stop, HandOffQueue<T>& queue,
                                                   std::string pipeline_failed,
                                                   const std::function<void()>& run_pipeline) {
  WorkerBesidePipelineErrors errors;
  std::thread worker_thread([&] {
    try {
      RunWorker(ledger_url, job, task, options, stop.token());
    } catch (...) {
      errors.worker = std::current_exception();
      stop.Cancel("the worker stopped");
    }
    queue.Close();
  });
  try {
    run_pipeline();
  } catch (...) {
    errors.pipeline = std::current_exception();
    stop.Cancel(std::move(pipeline_failed));
  }
  worker_thread.join();
  return errors;
}

}  // namespace sluice::jobs
