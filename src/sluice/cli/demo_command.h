// `sluice demo`: runs the synthetic compaction-shaped pipeline (jobs/demo_pipeline.h) with the
// live view, then prints the summary and the verdict.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sluice::cli {

// Registers the subcommand; the returned function runs it and returns the exit status.
std::function<int()> AddDemoCommand(CLI::App& app);

}  // namespace sluice::cli
