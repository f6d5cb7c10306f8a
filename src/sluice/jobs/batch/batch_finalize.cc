#include "sluice/jobs/batch/batch_finalize.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/batch_manifest.h"
#include "sluice/jobs/batch/step_retry.h"
#include "sluice/table/xxhash64.h"

namespace sluice::batch {
namespace {

using nlohmann::json;

std::string RecordPath(const std::string& out) {
  return JoinLocation(out, ".sluice/finalized.json");
}

// The key the last successful finalize recorded; "" when none (or the record is damaged).
std::string RecordedKey(const std::string& out) {
  const std::string path = RecordPath(out);
  try {
    const json j = json::parse(fs::ReadWholeFile(*fs::FileSystemFor(path), path), nullptr, false);
    return j.is_object() ? j.value("key", "") : "";
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return "";
    throw;
  }
}

void Record(const std::string& out, const std::string& key, const FinalizeOptions& options) {
  const std::string path = RecordPath(out);
  const json j = {{"key", key}, {"name", options.name}, {"version", options.version}};
  fs::WriteWholeFile(*fs::FileSystemFor(path), path, j.dump(2) + "\n");
}

}  // namespace

std::string FinalizeKey(const FinalizeRequest& request) {
  const std::string text =
      json::array({"sluice-batched-finalize/1", request.options->name, request.options->version,
                   request.chunk_keys, request.step_keys})
          .dump();
  return fmt::format("{:016x}{:016x}", XxHash64(text.data(), text.size(), 0),
                     XxHash64(text.data(), text.size(), 1));
}

FinalizeOutcome FinalizeIfChanged(const FinalizeRequest& request) {
  FinalizeOutcome outcome;
  outcome.key = FinalizeKey(request);
  if (RecordedKey(request.out) == outcome.key) {
    outcome.status = "hit";
    return outcome;
  }
  FinalizeContext ctx{request.out,   JoinLocation(request.out, kManifestName), {}, outcome.key, 0,
                      request.cancel};
  for (const std::string& f : request.files) ctx.outputs.push_back(JoinLocation(request.out, f));
  const FinalizeOptions& options = *request.options;
  std::chrono::milliseconds delay = options.retry_delay;
  for (ctx.attempt = 1;; ++ctx.attempt) {
    outcome.attempts = ctx.attempt;
    try {
      (*request.task)(ctx);
      Record(request.out, outcome.key, options);
      outcome.status = "ran";
      outcome.error.clear();
      return outcome;
    } catch (...) {
      outcome.error = CurrentErrorText();
    }
    if (ctx.attempt >= options.max_attempts || request.cancel.cancelled()) break;
    WaitBackoff(delay, request.cancel);
    delay = NextBackoff(delay, options.retry_delay);
  }
  outcome.status = "failed";
  return outcome;
}

}  // namespace sluice::batch
