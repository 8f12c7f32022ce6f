# The two commands: `make demo` and `make test`. Both install what is missing first.
SWIFT ?= swift
SPOOR_DEBUG = .build/debug/spoor
SPOOR_RELEASE = .build/release/spoor

.PHONY: demo test bench bootstrap build release samples scenario clean venv

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release --product spoor

# Ingest the small sample archive, then generate the PHOSPHORUS-like scenario (a month of a
# mail provider's logs), ingest it and print its campaign report (also as an HTML page).
demo: release
	rm -rf out/demo out/scenario
	$(SPOOR_RELEASE) ingest --job samples/job.yaml
	@echo
	$(SPOOR_RELEASE) report out/demo
	@echo
	scripts/gen-scenario --out out/scenario $(if $(wildcard rules/*.yaml),--rules-from rules)
	$(SPOOR_RELEASE) ingest --job out/scenario/job.yaml
	@echo
	$(SPOOR_RELEASE) report out/scenario/dataset --html out/scenario/report.html
	@echo
	@echo "The scenario's ground truth is out/scenario/ground-truth.json; the report as a page: out/scenario/report.html"
	@echo "The datasets are in out/demo and out/scenario/dataset (Parquet, Hive-partitioned). With DuckDB, for example:"
	@echo "  select \"event.dataset\", \"event.outcome\", count(*) from read_parquet('out/scenario/dataset/events/**/*.parquet', hive_partitioning=true) group by all"

# The Python readers the interop tests check Parquet files with (DuckDB, pyarrow, polars).
venv: .venv/.installed
.venv/.installed: scripts/test-requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -q -r scripts/test-requirements.txt
	touch $@

test: bootstrap venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: release
	@scripts/bootstrap --bench
	SPOOR_BIN=$(SPOOR_RELEASE) scripts/bench

# Regenerate samples/archive (byte-identical output).
samples:
	scripts/gen-samples

# Only the scenario's logs, ground truth, directory, rules and .mmdb (see scripts/gen-scenario --help).
scenario:
	scripts/gen-scenario --out out/scenario

clean:
	rm -rf .build out
