#include "sluice/jobs/batch/chunk_run.h"

#include "sluice/base/error.h"

namespace sluice::batch {

void HandOver(ChunkQueue& queue, const ChunkRunPtr& run) {
  if (!queue.Push(run)) {
    run->Fail(std::make_exception_ptr(Cancelled("the compute pipeline has stopped")));
  }
}

void FailRun(const ChunkRunPtr& run, const char* stage) {
  try {
    throw;
  } catch (Error& error) {
    error.With("chunk", std::to_string(run->chunk())).With("stage", stage);
    run->Fail(std::make_exception_ptr(error));
  } catch (const std::exception& e) {
    run->Fail(std::make_exception_ptr(InternalError("{}", e.what())
                                          .With("chunk", std::to_string(run->chunk()))
                                          .With("stage", stage)));
  } catch (...) {
    run->Fail(std::current_exception());
  }
}

}  // namespace sluice::batch
