# SPDX-License-Identifier: MIT
# The two commands of the README, and a few more. This file only drives
# CMake; the build itself is described in CMakeLists.txt.
#   make run    install missing build dependencies, build, run `ipcx bench`
#   make test   install missing build dependencies, build, run every test
BUILD   ?= build
ASAN    ?= build-asan
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# Extra arguments for `make run`, e.g. make run ARGS="--full" or ARGS="--filter raw".
ARGS    ?=

.PHONY: all run test deps build sanitize test-sanitize format format-check install clean

all: build

deps:
	@scripts/deps.sh build test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The peer libraries are installed first and CMake runs again every time, so
# that a library installed after the first configure is found and measured.
run: deps
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	./$(BUILD)/tools/ipcx/ipcx bench --json $(BUILD)/bench.json --html $(BUILD)/bench.html $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DIPCX_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build $(ASAN) -j $(JOBS)
	ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

FORMAT_FILES = $(shell find include src tools tests bench examples -name '*.[ch]' 2>/dev/null)

format:
	@scripts/deps.sh format
	clang-format -i $(FORMAT_FILES)

format-check:
	@scripts/deps.sh format
	clang-format --dry-run --Werror $(FORMAT_FILES)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
