# The two commands: `make run` and `make test` (see README.md).
# Both install what is missing (contrib/install-deps.sh), then build.

BUILD ?= build
CONFIG ?= config/heraldd.conf
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps test-deps build run test check-format format clean

all: build

deps:
	HERALD_DEPS=build sh contrib/install-deps.sh

test-deps:
	HERALD_DEPS=test sh contrib/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

run: build
	mkdir -p var
	exec $(BUILD)/heraldd run -c $(CONFIG)

test: test-deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check-format:
	clang-format --dry-run -Werror $$(git ls-files 'daemon/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]' 'fuzz/*.[ch]')

format:
	clang-format -i $$(git ls-files 'daemon/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]' 'fuzz/*.[ch]')

clean:
	rm -rf $(BUILD)
