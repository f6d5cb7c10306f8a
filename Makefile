# Thin wrapper over CMake. `make test SANITIZE=1` builds with ASan+UBSan, SANITIZE=thread with TSan.
SANITIZE ?=
JOBS ?= $(shell nproc)
# A checkout of https://github.com/apache/parquet-testing for the Parquet tests (a make variable or
# an environment variable; CMake's default is ../shared/parquet-testing beside this repository).
SLUICE_PARQUET_TESTING_DIR ?=
# No "Entering/Leaving directory" lines from the makes that CMake's build runs beneath this one.
MAKEFLAGS += --no-print-directory
ifeq ($(SANITIZE),1)
  BUILD_DIR ?= build-asan
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=address,undefined
else ifeq ($(SANITIZE),thread)
  BUILD_DIR ?= build-tsan
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread
else
  BUILD_DIR ?= build
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo
endif
# Line tables, not full debug information: perf, gdb's backtraces and sanitizer reports still name
# functions and lines, and each file compiles about 30% faster (shuffle_job_test.cc: 6.7 s against
# 9.3 s), which is minutes of a clean build on a 2-core CI machine.
ifneq ($(SANITIZE),1)
  CMAKE_FLAGS += "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
endif
ifneq ($(SLUICE_PARQUET_TESTING_DIR),)
  CMAKE_FLAGS += -DSLUICE_PARQUET_TESTING_DIR=$(abspath $(SLUICE_PARQUET_TESTING_DIR))
endif
SLUICE := $(BUILD_DIR)/src/sluice/cli/sluice
CONFIGURE = cmake -S . -B $(BUILD_DIR) -G "Unix Makefiles" $(CMAKE_FLAGS) >/dev/null
FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.cc' '*.h')

.PHONY: deps configure build test demo bench package format format-check clean

deps:
	@scripts/deps.sh

configure: deps
	@$(CONFIGURE)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# ctest's own status is the target's; the note on the corpus follows its summary.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300; status=$$?; \
	  corpus=$$(sed -n 's/^SLUICE_PARQUET_TESTING_DIR:PATH=//p' CMakeCache.txt); \
	  [ -d "$$corpus/data" ] || echo "test: the Parquet tests did not read the parquet-testing" \
	    "corpus: it is not at $$corpus. Get it with 'git clone" \
	    "https://github.com/apache/parquet-testing DIR' and run 'make test" \
	    "SLUICE_PARQUET_TESTING_DIR=DIR'."; \
	  exit $$status

# Only the binary the demo runs and the packages that building it needs: the tests, the benchmarks
# and their packages (PostgreSQL, Ceph, npm's DuckDB) wait for `make test` and `make bench`.
demo:
	@scripts/deps.sh build
	@$(CONFIGURE)
	@echo "demo: compiling sluice (the first build takes about 7 minutes on 2 cores)"
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target sluice
	@$(SLUICE) demo

bench: build
	@bench/run.sh $(BUILD_DIR)

# A .deb of the binary, the library, its headers and the man page (cmake/SluiceInstall.cmake).
package: build
	@cmake --build $(BUILD_DIR) --target package

format:
	@clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan build-tsan
