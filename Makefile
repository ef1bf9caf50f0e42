# Two commands on a fresh machine:  `make run` (ingest raw/ and print a summary)  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
WAREHOUSE ?= warehouse/referentiels.duckdb

.PHONY: setup run test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

run: setup
	$(VENV)/bin/refpipe ingest raw/ --warehouse $(WAREHOUSE)

# everything CI runs: linters, import contracts, types, every test tier
test: lint
	$(VENV)/bin/pytest

# the edit loop (< 3 min on 2 cores): no subprocess, server, kill, Dask or browser tests
test-fast: setup
	$(VENV)/bin/pytest -m "not e2e"

lint: setup
	$(VENV)/bin/ruff check pipeline flows refpipe tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict pipeline

# scale benchmark (not part of the tests; ~15 min on 2 cores): see benchmarks/README.md
bench: setup
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(VENV)/bin/python benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.wal
