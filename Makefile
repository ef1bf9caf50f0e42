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

# pytest-xdist: one worker per CPU the OS shows ("logical": "auto" counts physical cores, 1 on a 2-vCPU VM
# with hyperthreads), 2 on the 2-core CI machine, at most 4 (past that the one unit of Prefect server tests is
# the critical path); tests sent a file at a time (tests/conftest.py says why).  `make test XDIST=` runs serially.
XDIST ?= -n logical --maxprocesses 4 --dist loadfile

# everything CI runs: linters, import contracts, types, every test tier
test: lint
	$(VENV)/bin/pytest $(XDIST)

# the edit loop (< 3 min on 2 cores): no subprocess, server, kill, Dask or browser tests
test-fast: setup
	$(VENV)/bin/pytest $(XDIST) -m "not e2e"

# one mypy run: strict on pipeline/ (pyproject's [[tool.mypy.overrides]] sets each flag of `mypy --strict`)
lint: setup
	$(VENV)/bin/ruff check pipeline flows refpipe tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# scale benchmark (not part of the tests; ~15 min on 2 cores): see benchmarks/README.md
bench: setup
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(VENV)/bin/python benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.wal
