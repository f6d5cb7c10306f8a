#include "sluice/jobs/batch/batch_command_spec.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/batch/command_chunk_task.h"
#include "sluice/jobs/batch/command_step_task.h"

namespace sluice::batch {
namespace {

using nlohmann::json;

// The --then steps, each named by its command line (another command is another step) and shown
// as stage "thenN:PROGRAM", and the finalize step.
void AddSteps(const BatchCommandSpec& spec, BatchedJob& job) {
  for (size_t i = 0; i < spec.then.size(); ++i) {
    std::vector<std::string> argv = SplitCommandWords(spec.then[i]);
    StepOptions options;
    options.name = spec.then[i];
    options.version = spec.then_version;
    options.concurrency = spec.then_concurrency;
    options.max_attempts = job.options().max_attempts;
    options.retry_delay = job.options().retry_delay;
    options.stage =
        fmt::format("then{}:{}", i + 1, std::filesystem::path(argv[0]).filename().string());
    try {
      job.Then(MakeCommandStepTask(std::move(argv)), std::move(options));
    } catch (Error& e) {
      throw std::move(e).With("flag", "--then");
    }
  }
  if (spec.finalize.empty()) return;
  FinalizeOptions options;
  options.name = spec.finalize;
  options.max_attempts = job.options().max_attempts;
  options.retry_delay = job.options().retry_delay;
  try {
    job.Finalize(MakeCommandFinalizeTask(SplitCommandWords(spec.finalize)), std::move(options));
  } catch (Error& e) {
    throw std::move(e).With("flag", "--finalize");
  }
}

}  // namespace

BatchedJob BatchCommandSpec::MakeJob(const std::string& ledger_url,
                                     const std::string& state_dir) const {
  BatchedOptions options;
  options.ledger_url = ledger_url;
  options.state_dir = state_dir;
  options.by = by;
  options.chunks = chunks;
  options.name = name;
  options.version = version;
  options.max_attempts = max_attempts;
  if (retry_delay_ms < 0) throw InvalidArgument("--retry-delay must not be negative");
  options.retry_delay = std::chrono::milliseconds(retry_delay_ms);
  options.chunks_in_flight = chunks_in_flight;
  options.resources = resources;
  BatchedJob job = BatchedFiles(MakeCommandChunkTask(command, input_names), options);
  AddSteps(*this, job);
  return job;
}

json BatchCommandSpec::ToJson() const {
  json limits = json::array();
  for (const ledger::ResourceLimit& r : resources) {
    limits.push_back({{"name", r.name}, {"limit", r.limit}});
  }
  return {{"command", command},
          {"input_names", input_names},
          {"by", by},
          {"chunks", chunks},
          {"name", name},
          {"version", version},
          {"max_attempts", max_attempts},
          {"retry_delay_ms", retry_delay_ms},
          {"chunks_in_flight", chunks_in_flight},
          {"resources", limits},
          {"then", then},
          {"then_version", then_version},
          {"then_concurrency", then_concurrency},
          {"finalize", finalize}};
}

BatchCommandSpec BatchCommandSpec::FromJson(const json& j) {
  try {
    BatchCommandSpec s;
    s.command = j.at("command").get<std::vector<std::string>>();
    s.input_names = j.at("input_names").get<std::vector<std::string>>();
    s.by = j.at("by").get<std::vector<std::string>>();
    s.chunks = j.at("chunks").get<int>();
    s.name = j.at("name").get<std::string>();
    s.version = j.at("version").get<std::string>();
    s.max_attempts = j.at("max_attempts").get<int64_t>();
    s.retry_delay_ms = j.at("retry_delay_ms").get<int64_t>();
    s.chunks_in_flight = j.at("chunks_in_flight").get<int>();
    for (const json& r : j.at("resources")) {
      s.resources.push_back({r.at("name").get<std::string>(), r.at("limit").get<int64_t>()});
    }
    s.then = j.at("then").get<std::vector<std::string>>();
    s.then_version = j.at("then_version").get<std::string>();
    s.then_concurrency = j.at("then_concurrency").get<int>();
    s.finalize = j.at("finalize").get<std::string>();
    return s;
  } catch (const json::exception& e) {
    throw InvalidData("malformed batch job spec: {}", e.what());
  }
}

}  // namespace sluice::batch
