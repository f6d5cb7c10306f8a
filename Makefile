# Thin wrapper over CMake. `make test SANITIZE=1` builds with ASan+UBSan, SANITIZE=thread with TSan.
SANITIZE ?=
JOBS ?= $(shell nproc)
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
SLUICE := $(BUILD_DIR)/src/sluice/cli/sluice
FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.cc' '*.h')

.PHONY: deps configure build test demo bench format format-check clean

deps:
	@scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G "Unix Makefiles" $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

demo: build
	@$(SLUICE) demo

bench: build
	@bench/run.sh $(BUILD_DIR)

format:
	@clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan build-tsan
