// Locates the parquet-testing corpus (../shared/parquet-testing beside the project, or the
// directory in $SLUICE_PARQUET_TESTING) for the tests of this folder.
//
// Thread safety: pure functions.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sluice::parquet::testing {

inline std::filesystem::path ParquetTestingDir() {
  if (const char* dir = std::getenv("SLUICE_PARQUET_TESTING")) return dir;
  return SLUICE_PARQUET_TESTING_DIR;
}

}  // namespace sluice::parquet::testing
