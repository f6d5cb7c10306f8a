#include "sluice/public/run_settings.h"

#include "sluice/base/error.h"

namespace sluice::api {

RunOptions RunOptionsOf(const RunSettings& settings) {
  if (settings.memory_bytes < 0) throw InvalidArgument("memory_bytes must be 0 or more");
  if (settings.threads < 0) throw InvalidArgument("threads must be 0 or more");
  RunOptions run;
  if (settings.memory_bytes > 0) run.memory_budget = settings.memory_bytes;
  run.cpu_threads = settings.threads;
  return run;
}

}  // namespace sluice::api
