// ThreadSanitizer settings for every test binary that loads DuckDB; linked into each of them
// (tests/CMakeLists.txt), since TSan reads them once per process.
//
// libduckdb.so (from npm) is not built with TSan. Its worker threads hand work over through
// lock-free queues and atomics TSan cannot see, so TSan reports races between DuckDB's own threads
// (every report seen had both accesses in libduckdb.so): reports with a DuckDB frame are
// suppressed, which also hides our Arrow stream callbacks when DuckDB's threads call them.
// Ignoring DuckDB's calls into TSan altogether (called_from_lib) would hide its mutexes too and
// turn its hand-overs into false races in our callbacks. And its jemalloc locks every arena
// before a fork, more mutexes than TSan's deadlock detector holds per thread (64), which aborts
// the tests that fork `sluice`; the sluice processes themselves keep deadlock detection.
extern "C" const char* __tsan_default_suppressions() { return "race:libduckdb.so\n"; }
extern "C" const char* __tsan_default_options() { return "detect_deadlocks=0"; }
