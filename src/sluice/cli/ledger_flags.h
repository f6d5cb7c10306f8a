// Flags that name a job ledger (--state DIR | --ledger URL | $SLUICE_LEDGER), shared by the job
// commands.
//
// Thread safety: plain values; filled by CLI11 on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::cli {

// Read for --ledger when the flag is not given.
inline constexpr std::string_view kLedgerEnvironmentVariable = "SLUICE_LEDGER";

struct LedgerFlags {
  std::string state_dir;
  std::string url;

  void Add(CLI::App& command);
  // The ledger URL: --ledger, else <state dir>/ledger.db. InvalidArgument for a malformed URL
  // (checked without opening anything).
  std::string Url() const;
  // --state, else .sluice, as an absolute path.
  std::filesystem::path StateDir() const;
};

}  // namespace sluice::cli
