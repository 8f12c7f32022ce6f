# The two commands: `make demo` and `make test`. Both install what is missing first.
SWIFT ?= swift
SPOOR_DEBUG = .build/debug/spoor
SPOOR_RELEASE = .build/release/spoor

.PHONY: demo test bench bootstrap build release samples clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release --product spoor

# Ingest the sample archive and print the summary.
demo: release
	rm -rf out/demo
	$(SPOOR_RELEASE) ingest --job samples/job.yaml
	@echo
	@echo "The dataset is in out/demo; for example:"
	@echo "  lz4cat out/demo/events/event.dataset=sshd/*/*.lz4 | head -3"

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: release
	@scripts/bootstrap --bench
	SPOOR_BIN=$(SPOOR_RELEASE) scripts/bench

# Regenerate samples/archive (byte-identical output).
samples:
	scripts/gen-samples

clean:
	rm -rf .build out
