# Governance Ledger — two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
export GOVLEDGER_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test bench screenshots install install-dev clean

$(STAMP): pyproject.toml setup.py app/audit/_leafhash.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)
install-dev: $(DEVSTAMP)

## make run: install, initialise the SQLite store in instance/ with demo data, serve on :8000
run: $(STAMP)
	$(BIN)/govledger demo   # first: its story is dated in the past, so the log stays in time order
	$(BIN)/govledger init
	@echo "Sign in at http://$(HOST):$(PORT)/ as alice@example.org (member), bob@example.org,"
	@echo "carol@example.org ... or frank@example.org (auditor), password: demo-password-123"
	$(BIN)/govledger serve --host $(HOST) --port $(PORT)

## make test: check the architecture contracts, install test needs (PostgreSQL, Chromium), start a
## throwaway cluster, run everything
test: $(DEVSTAMP)
	$(BIN)/lint-imports --no-cache
	bash scripts/install-test-deps.sh
	bash scripts/with-postgres.sh $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## make bench: throughput benchmarks against raw baselines measured in the same run
bench: $(DEVSTAMP)
	bash scripts/install-bench-deps.sh
	$(BIN)/python -m benchmarks.run

## make screenshots: every main page at 1366 px and 390 px on the demo data, into screenshots/
screenshots: $(DEVSTAMP)
	bash scripts/install-test-deps.sh
	$(BIN)/python scripts/screenshots.py --axe

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
