// SqliteLedgerFixture: the GoogleTest fixture of the jobs tests that run against a real ledger: a
// SQLite ledger in a fresh temporary directory, removed with everything in it after the test.
// A fixture that overrides SetUp calls SqliteLedgerFixture::SetUp first.
//
// Thread safety: as a GoogleTest fixture's; the ledger serializes its own calls.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "sluice/ledger/ledger.h"

namespace sluice::jobs {

class SqliteLedgerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sluice-jobs-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    url_ = "sqlite:" + (dir_ / "ledger.db").string();
    ledger_ = ledger::OpenLedger(url_);
  }
  void TearDown() override {
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

}  // namespace sluice::jobs
