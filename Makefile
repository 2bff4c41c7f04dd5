# The two front doors: `make demo` and `make test`. Each installs what is missing, configures,
# builds and runs.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: demo test build deps clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash scripts/install-deps.sh --plots
	bash scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
