// SLUICE_REQUIRE_TEST_DATA(present, message): for tests that need data from outside the
// repository (the parquet-testing corpus, DuckDB from npm); SLUICE_REQUIRE_TOOL for a program.
// Missing data skips the test on a developer's machine but fails it in CI (CI set in the
// environment), so a green CI run has really read the data. The message is followed by where such
// data comes from.
//
// Thread safety: use from the test's own thread (GoogleTest assertions).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

// A macro, not a constant: a namespace sluice::testing here would hide ::testing (GoogleTest) from
// tests inside namespace sluice that say testing::.
#define SLUICE_TEST_DATA_SOURCES                                                                  \
  "\n(the parquet-testing corpus: a checkout of https://github.com/apache/parquet-testing named " \
  "by the CMake setting SLUICE_PARQUET_TESTING_DIR, e.g. `make test "                             \
  "SLUICE_PARQUET_TESTING_DIR=DIR`; DuckDB: `npm ci`, which scripts/deps.sh runs)"

#define SLUICE_REQUIRE_TEST_DATA(present, message) \
  SLUICE_REQUIRE_TOOL(present, message << SLUICE_TEST_DATA_SOURCES)

// The same for a program a test drives (tmux, Chromium): `message` says what is missing and where
// it comes from.
#define SLUICE_REQUIRE_TOOL(present, message) \
  do {                                        \
    if (!(present)) {                         \
      if (std::getenv("CI") != nullptr) {     \
        FAIL() << message;                    \
      } else {                                \
        GTEST_SKIP() << message;              \
      }                                       \
    }                                         \
  } while (0)
