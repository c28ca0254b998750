# The two commands: `make run` (the whole system) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint unit integration e2e bench lock clean audit-deps chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/rectify run

test: $(DEV_STAMP) lint
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest tests/unit

integration: $(DEV_STAMP)
	$(BIN)/pytest tests/integration

e2e: $(DEV_STAMP)
	$(BIN)/pytest tests/e2e

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# Fault injection (chaos/): load through GraphQL while processes are killed, then checks.
# CHAOS_ARGS e.g. "--seed 42 --minutes 10 --targets serve,postgres".
chaos: $(DEV_STAMP)
	$(BIN)/python -m chaos $(CHAOS_ARGS)

# pip-audit over constraints.txt; offline it prints "skipped: ..." and succeeds.
audit-deps: $(DEV_STAMP)
	$(BIN)/python deploy/audit_dependencies.py

# Refresh the constraints file after changing dependency ranges in pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
