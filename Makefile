# The two front doors: `make demo` and `make test`. Each installs what is missing, configures,
# builds and runs.
BUILD ?= build
# The sanitized build (ASan + UBSan, clang, with the libFuzzer targets): docs/testing.md.
BUILD_SAN ?= build-san
SAN_CC ?= clang-14
SAN_CXX ?= clang++-14
JOBS ?= $(shell nproc)

.PHONY: demo test test-sanitized build deps clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The demo needs only the gram binary, not the test suites.
demo: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS) --target gram
	bash scripts/install-deps.sh --plots
	bash scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) test-sanitized

# The cpu and mpi suites again under AddressSanitizer + UndefinedBehaviorSanitizer, and every
# fuzz target for a bounded time (label fuzz). Slurm and gpu tests are left to the ordinary build,
# and so are the fault tests (signals and resumes of whole sweeps, minutes each under ASan's slow
# unwinder: the ordinary build runs them; Mpi.* and GramSweep.* still put the distributed and
# resume code under the sanitizers).
# -O1, the level AddressSanitizer's documentation advises: it builds faster than -O3 on CI's two
# cores, and reports still point at the right line.
test-sanitized: deps
	CC=$(SAN_CC) CXX=$(SAN_CXX) cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DGRAM_CUDA=OFF -DGRAM_SANITIZE=ON
	cmake --build $(BUILD_SAN) -j $(JOBS)
	ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS) -L 'cpu|mpi|fuzz' \
	  -E '^(MpiFaults|GramSweepFaults)\.'

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
