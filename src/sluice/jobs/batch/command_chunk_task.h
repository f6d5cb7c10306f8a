// CommandChunkTask: a batched job's file task that runs an external command once per chunk, so a
// task can be written in any language: the command reads the chunk's Parquet file of each input
// and writes one Parquet file. It reuses the partitioned jobs' command runner
// (jobs/command_task.h): own process group, killed on cancellation and when sluice dies, stdin
// /dev/null, the tail of stderr in the error with the exit status.
//
// Placeholders: {input} (the only input's chunk file; with several inputs, {input.NAME}),
// {output} (the file to write, a hidden temporary name that sluice renames into its cache),
// {chunk}, {chunks}, {attempt}; "{{" and "}}" are literal braces.
//
// Thread safety: the returned task may run on many threads at once.
#pragma once

#include <string>
#include <vector>

#include "sluice/jobs/batch/batched_task.h"

namespace sluice {

// InvalidArgument naming the argument for an unknown placeholder, {input} with several inputs,
// or a command that does not write {output}.
FileTask MakeCommandChunkTask(std::vector<std::string> argv,
                              const std::vector<std::string>& input_names);

}  // namespace sluice
