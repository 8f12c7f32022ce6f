# The two commands: `make demo` and `make test`. Both install what is missing first.
SWIFT ?= swift
SPOOR_DEBUG = .build/debug/spoor
SPOOR_RELEASE = .build/release/spoor

.PHONY: demo test bench bootstrap build release samples clean venv

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
	$(SPOOR_RELEASE) report out/demo
	@echo
	@echo "The dataset is in out/demo (Parquet, Hive-partitioned). With DuckDB, for example:"
	@echo "  select \"event.dataset\", \"event.outcome\", count(*) from read_parquet('out/demo/events/**/*.parquet', hive_partitioning=true) group by all"

# The Python readers the interop tests check Parquet files with (DuckDB, pyarrow, polars).
venv: .venv/.installed
.venv/.installed: scripts/test-requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -q -r scripts/test-requirements.txt
	touch $@

test: bootstrap venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	# The sample plugin's own tests (the end-to-end tests built and loaded it already).
	$(SWIFT) test --package-path samples/plugins/acme-vpn --scratch-path .build-plugins/acme-vpn

bench: release
	@scripts/bootstrap --bench
	SPOOR_BIN=$(SPOOR_RELEASE) scripts/bench

# Regenerate samples/archive (byte-identical output).
samples:
	scripts/gen-samples

clean:
	rm -rf .build .build-plugins out
