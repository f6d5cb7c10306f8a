// Flags every job command shares (--memory, --threads, --report, --progress, --log-level,
// --limit s3=N, --ui, --ui-linger) and their translation into flow RunOptions. --report writes
// JSON, or a self-contained HTML page when the name ends in .html; --ui serves that page live.
// --memory takes a size or a percentage of the memory this process may use (base/memory_limit.h:
// the cgroup limit, else physical memory); without it the budget is DefaultMemoryBudget of that
// memory.
//
// Thread safety: plain values; filled by CLI11 on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/flow/options.h"

namespace sluice::cli {

class LiveUi;

struct JobFlags {
  std::string memory;  // as given; empty for the default budget
  int threads = 0;
  std::string report;
  std::string progress = "auto";
  std::string log_level = "info";
  std::string ui;  // the live page's address; empty without --ui
  bool ui_linger = false;
  std::vector<std::string> limits;  // --limit NAME=N; the one name here is s3
  // The budget without --memory, set by Add.
  int64_t default_memory = 0;

  // Registers the flags on a subcommand. The default budget is DefaultMemoryBudget of the memory
  // this process may use, or `at_most` bytes when that is smaller (a command whose work is
  // bounded, like the demo, need not claim more).
  void Add(CLI::App& command, int64_t at_most = 0);
  // Validates the flags; throws InvalidArgument naming the flag. When one of `paths` (the
  // command's inputs and outputs) is an s3:// URL, the S3 file system's buffers get their share
  // of the budget (S3MemoryShare), taken out of the run's, and --limit s3=N applies.
  // With --ui, the first call also starts the live page's server (live_ui.h), which every run
  // then publishes to; it stops when the flags go (at the end of main), after Ctrl-C with
  // --ui-linger.
  RunOptions ToRunOptions(const CancellationToken& cancel,
                          const std::vector<std::string>& paths = {}) const;

 private:
  mutable std::shared_ptr<LiveUi> live_ui_;
};

// Registers --ui [HOST:PORT] on `command`, filling `address`: empty without --ui, the default
// 127.0.0.1:8077 for --ui alone, else the address given as --ui=ADDR or --ui ADDR. The word after
// a bare --ui is its address unless the command's required arguments still need that word; a
// word that is not HOST:PORT (or :PORT) is left to the arguments when the command line went
// through LeaveNonAddressAfterUi, else it is an error.
CLI::Option* AddUiOption(CLI::App& command, std::string& address, const std::string& what);

// Whether `word` is HOST:PORT or :PORT (the port in digits).
bool IsUiAddress(std::string_view word);

// The command line (without the program's name) with every bare --ui that is followed by a word
// that is not HOST:PORT, before any "--", written --ui=127.0.0.1:8077: CLI11 would take the word
// (the job of `sluice status --ui JOB`) as the address, even where the command's arguments
// need it.
std::vector<std::string> LeaveNonAddressAfterUi(std::vector<std::string> args);

// The share of a memory budget that S3 transfers hold (parts being sent, whole objects and
// read-ahead windows kept): an eighth, 8 to 256 MiB, never more than a quarter.
int64_t S3MemoryShare(int64_t budget);

// --limit flags, NAME=N each, as (name, N) pairs. InvalidArgument naming --limit, and showing
// `form` (how a flag is written, e.g. "NAME=N (e.g. es=4)"), for anything else.
std::vector<std::pair<std::string, int64_t>> ParseLimitFlags(const std::vector<std::string>& flags,
                                                             std::string_view form);

// The budget `text` asks for: a size ("256MiB", "4GiB") or a percentage ("80%", "12.5%") of
// `limit_bytes`, the memory this process may use. Throws InvalidArgument on anything else.
int64_t ParseMemoryBudget(const std::string& text, int64_t limit_bytes);

}  // namespace sluice::cli
