# Two commands on a fresh machine:  `make run` (ingest raw/ and print a summary)  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
WAREHOUSE ?= warehouse/referentiels.duckdb

.PHONY: setup run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

run: setup
	$(VENV)/bin/refpipe ingest raw/ --warehouse $(WAREHOUSE)

test: setup
	$(VENV)/bin/ruff check pipeline flows refpipe tests
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check pipeline flows refpipe tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.wal
