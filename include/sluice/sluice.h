// The sluice library: include this one header, link sluice::sluice (CMake: find_package(sluice))
// or `pkg-config --libs sluice`.
//
// What it offers: the table commands of the `sluice` tool as calls (table_commands.h), the
// compaction of a partitioned Parquet dataset (compact.h), a Parquet file's schema and row count
// (parquet_info.h), the version (version.h), and one exception type for every failure (error.h).
// These headers include only the standard library and each other; everything under src/sluice/
// is private to the project and may change without notice.
//
// Thread safety: see each header.
#pragma once

#include "sluice/compact.h"         // IWYU pragma: export
#include "sluice/error.h"           // IWYU pragma: export
#include "sluice/parquet_info.h"    // IWYU pragma: export
#include "sluice/table_commands.h"  // IWYU pragma: export
#include "sluice/version.h"         // IWYU pragma: export
