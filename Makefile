# cargotrail: `make demo` (embedded, no servers) and `make test` (everything, for real).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CACHE  ?= $(HOME)/.cache/cargotrail
export PIP_CACHE_DIR ?= $(CACHE)/pip
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo run test lint unit bench clean services-up services-down

# Each deploy/<server>.mk adds <server>-up / <server>-down targets, appends them to
# TEST_SERVICES / TEST_SERVICES_DOWN and exports what the integration tests need.
TEST_SERVICES :=
TEST_SERVICES_DOWN :=
-include deploy/*.mk

install: $(STAMP)

$(STAMP): pyproject.toml setup.py ledger/core/_merkle.c cargotrail/contract/_ids.c streams/processors/_table.c
	@echo "==> creating $(VENV) and installing cargotrail with its dev tools"
	@if [ ! -e /usr/include/openssl/evp.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> apt-get install libssl-dev (OpenSSL headers for the native Merkle accelerator)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev; \
	  else echo "==> no OpenSSL headers (libssl-dev): the ledger core installs as pure Python, slower"; fi; \
	fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: install
	$(BIN)/cargotrail demo

run: install
	$(BIN)/cargotrail run --containers 500 --duration 2d --report .cargotrail/report.json

lint: install
	@echo "==> ruff"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> mypy"
	$(BIN)/mypy .
	@echo "==> import-linter (pure cores stay free of I/O)"
	$(BIN)/lint-imports

services-up: install $(TEST_SERVICES)

services-down: $(TEST_SERVICES_DOWN)

unit: install
	@echo "==> pytest (Fabric network tests are run by 'make test-fabric': see README, Hyperledger Fabric)"
	$(BIN)/pytest -m "not fabric"

# Lint first (fast), then start the real servers, then every test.
test: lint services-up unit

bench: install quix-venv
	@for b in bench/bench_*.py; do echo "==> $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .cargotrail .mypy_cache .ruff_cache .pytest_cache
