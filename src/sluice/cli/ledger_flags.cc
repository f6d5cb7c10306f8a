#include "sluice/cli/ledger_flags.h"

#include "sluice/base/error.h"
#include "sluice/ledger/ledger_url.h"

namespace sluice::cli {

void LedgerFlags::Add(CLI::App& command) {
  auto* state =
      command.add_option("--state", state_dir,
                         "State directory holding the SQLite ledger and outputs (default .sluice)");
  // From the environment too, so that a URL with a password stays out of `ps` (libpq's
  // PGPASSWORD and PGPASSFILE serve as well) and reaches workers that a launcher starts.
  auto* ledger = command.add_option(
      "--ledger", url,
      "Ledger URL: postgresql://... or sqlite:PATH (default: $SLUICE_LEDGER, else "
      "<state>/ledger.db)");
  ledger->envname(std::string(kLedgerEnvironmentVariable));
  ledger->excludes(state);
}

std::filesystem::path LedgerFlags::StateDir() const {
  return std::filesystem::absolute(state_dir.empty() ? std::string(ledger::kDefaultStateDir)
                                                     : state_dir);
}

std::string LedgerFlags::Url() const {
  std::string chosen = url.empty() ? ledger::DefaultLedgerUrl(StateDir()) : url;
  try {
    ledger::ParseLedgerUrl(chosen);
  } catch (Error& e) {
    throw std::move(e).With("flag", url.empty() ? "--state" : "--ledger");
  }
  return chosen;
}

}  // namespace sluice::cli
