#include "sluice/jobs/batch/command_chunk_task.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/command_task.h"
#include "sluice/jobs/command_template.h"

namespace sluice {

FileTask MakeCommandChunkTask(std::vector<std::string> argv,
                              const std::vector<std::string>& input_names) {
  std::set<std::string, std::less<>> fields = {"chunk", "chunks"};
  for (const std::string& name : input_names) fields.insert("input." + name);
  if (input_names.size() == 1) fields.insert("input");
  jobs::CommandTemplate command(std::move(argv), fields);
  for (const char* name : {"key", "partition"}) {
    if (command.used().contains(name)) {
      throw InvalidArgument("placeholder {{{}}} is not available to batched tasks; use {{chunk}}",
                            name);
    }
  }
  if (!command.used().contains("output")) {
    throw InvalidArgument("the command must write the chunk's output to {{output}}");
  }
  jobs::PartitionTask run = jobs::MakeCommandTask(std::move(command));
  return [run = std::move(run)](const ChunkFiles& files) {
    nlohmann::json definition = {{"chunk", std::to_string(files.chunk)},
                                 {"chunks", std::to_string(files.chunks)}};
    for (const auto& [name, path] : files.inputs) definition["input." + name] = path;
    if (files.inputs.size() == 1) definition["input"] = files.inputs.begin()->second;
    ledger::Lease lease;
    lease.partition_id = files.chunk;
    lease.attempt = files.attempt;
    lease.key = fmt::format("chunk-{:05d}", files.chunk);
    lease.definition_json = definition.dump();
    run(jobs::TaskContext{lease, files.output, files.cancel});
  };
}

}  // namespace sluice
