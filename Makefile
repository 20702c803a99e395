# The two commands of the README:
#   make demo   install packages, build, run a container under capsad, show its metrics
#   make test   install packages, build, run every test tier with ctest
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test bench clean

deps:
	bash tools/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash tools/demo.sh $(BUILD)

test: build
	bash tools/test.sh $(BUILD)

bench: build
	bash tools/bench/lifecycle
	bash tools/bench/policy $(BUILD)
	bash tools/bench/scrape $(BUILD)

clean:
	rm -rf $(BUILD)
