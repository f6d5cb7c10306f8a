#include "sluice/jobs/batch/command_step_task.h"

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/command_task.h"
#include "sluice/jobs/command_template.h"

namespace sluice {
namespace {

// Runs the command with the lease the partitioned jobs' runner expects: `key` and `output` are
// built-in placeholders, the other fields come from the definition.
void RunCommand(const jobs::PartitionTask& run, const std::string& key, int64_t attempt,
                const std::string& output, const nlohmann::json& definition,
                const CancellationToken& cancel) {
  ledger::Lease lease;
  lease.attempt = attempt;
  lease.key = key;
  lease.definition_json = definition.dump();
  run(jobs::TaskContext{lease, output, cancel});
}

jobs::PartitionTask MakeRunner(std::vector<std::string> argv,
                               const std::set<std::string, std::less<>>& fields) {
  jobs::CommandTemplate command(std::move(argv), fields);
  if (command.used().contains("partition")) {
    throw InvalidArgument(
        "placeholder {{partition}} is not available to batch steps; use {{chunk}}");
  }
  return jobs::MakeCommandTask(std::move(command));
}

}  // namespace

std::vector<std::string> SplitCommandWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0 && c == quote) {
      quote = 0;
    } else if (quote == '\'') {
      word += c;
    } else if (c == '\\') {
      if (++i == line.size()) throw InvalidArgument("a trailing backslash in '{}'", line);
      word += line[i];
      in_word = true;
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
      in_word = true;
    } else if (quote == 0 && (c == ' ' || c == '\t' || c == '\n')) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) throw InvalidArgument("an unterminated {} quote in '{}'", quote, line);
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw InvalidArgument("an empty command");
  return words;
}

StepTask MakeCommandStepTask(std::vector<std::string> argv) {
  jobs::PartitionTask run = MakeRunner(std::move(argv), {"file", "chunk", "chunks", "rows"});
  return [run = std::move(run)](const ChunkStepFiles& files) {
    const nlohmann::json definition = {{"file", files.file},
                                       {"chunk", std::to_string(files.chunk)},
                                       {"chunks", std::to_string(files.chunks)},
                                       {"rows", std::to_string(files.rows)}};
    RunCommand(run, files.key, files.attempt, files.output, definition, files.cancel);
  };
}

FinalizeTask MakeCommandFinalizeTask(std::vector<std::string> argv) {
  jobs::PartitionTask run = MakeRunner(std::move(argv), {"manifest", "outputs", "chunks"});
  return [run = std::move(run)](const FinalizeContext& ctx) {
    const nlohmann::json definition = {{"manifest", ctx.manifest},
                                       {"outputs", ctx.outputs},
                                       {"chunks", std::to_string(ctx.outputs.size())}};
    RunCommand(run, ctx.key, ctx.attempt, ctx.output_dir, definition, ctx.cancel);
  };
}

}  // namespace sluice
