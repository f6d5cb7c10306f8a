// CommandStepTask: the steps of `sluice batch --then CMD` and `--finalize CMD` (batched_step.h)
// as external commands, run like the task's (jobs/command_task.h: own process group, killed on
// cancellation and when sluice dies, the tail of stderr in the error with the exit status).
//
// CMD is one string, split into words as a shell would split it (whitespace; '...' and "..."
// quote; a backslash escapes the next character outside single quotes) but run without a shell
// (write `sh -c '...'` for one). Placeholders, inside any word ("{{" and "}}" are braces):
//   --then:     {output} (the chunk's output in the cache: a local path, or an s3:// URL),
//               {file} (the name it is published under, chunk-NNNNN.parquet), {key} (the chunk's
//               cache key, the same for the same output: an idempotency key), {chunk}, {chunks},
//               {rows}, {attempt}
//   --finalize: {manifest} (OUT/manifest.json), {outputs} (every chunk file, one argument joined
//               with spaces), {output} (OUT), {key} (the finalize key), {chunks} (how many chunk
//               files), {attempt}
//
// Thread safety: the returned tasks may run on many threads at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/jobs/batch/batched_step.h"

namespace sluice {

// InvalidArgument for an unterminated quote or a trailing backslash, or no words.
std::vector<std::string> SplitCommandWords(std::string_view line);

// InvalidArgument naming the argument for an unknown placeholder.
StepTask MakeCommandStepTask(std::vector<std::string> argv);
FinalizeTask MakeCommandFinalizeTask(std::vector<std::string> argv);

}  // namespace sluice
