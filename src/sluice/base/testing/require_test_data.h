// SLUICE_REQUIRE_TEST_DATA(present, message): for tests that need data from outside the
// repository (the parquet-testing corpus, DuckDB from npm). Missing data skips the test on a
// developer's machine but fails it in CI (CI set in the environment), so a green CI run has
// really read the data.
//
// Thread safety: use from the test's own thread (GoogleTest assertions).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#define SLUICE_REQUIRE_TEST_DATA(present, message) \
  do {                                             \
    if (!(present)) {                              \
      if (std::getenv("CI") != nullptr) {          \
        FAIL() << message;                         \
      } else {                                     \
        GTEST_SKIP() << message;                   \
      }                                            \
    }                                              \
  } while (0)
