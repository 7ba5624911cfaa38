# The README's two commands: `make run` and `make test`. Both set up everything from scratch.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
PYTHON ?= python3
INSTALLED := $(VENV)/.installed
JS_SOURCES := $(shell find extension/src schema style -type f 2>/dev/null)

.PHONY: run test setup lint pytest ui-test bench build clean chromium postgres

## run: set up and start JupyterLab with the extension on examples/ (loopback only)
run: setup build
	cd examples && $(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --allow-root \
	  --ServerApp.open_browser=False

## test: set up from scratch and run every check and test
test: setup lint build pytest ui-test

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml package.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# A develop link would let pip write the wheel's shared data into the source tree.
	rm -f $(VENV)/share/jupyter/labextensions/jupyterlab-nbtools
	$(PY) -m pip install --quiet -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite .
	touch $@

build: setup node_modules/.installed server/jupyter_nbtools/labextension/package.json

node_modules/.installed: package.json yarn.lock
	$(BIN)/jlpm install --immutable || $(BIN)/jlpm install
	touch $@

server/jupyter_nbtools/labextension/package.json: $(JS_SOURCES) package.json tsconfig.json
	$(BIN)/jlpm build
	touch $@

## lint: ruff, mypy, eslint and prettier; TypeScript's type check is the build's own compilation
## (`jlpm build` runs tsc on the same tsconfig.json, failing on any type error)
lint: setup build
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/jlpm lint:check

## pytest: the Python tests, spread over the machine's cores (PYTEST_WORKERS=0 runs them in one process)
PYTEST_WORKERS ?= auto
pytest: setup postgres
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

chromium:
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

## postgres: Debian's PostgreSQL server binaries (the tests start a throw-away server on loopback)
postgres:
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq postgresql; }

ui-test: setup build chromium
	cd ui-tests && $(BIN)/jlpm install --immutable || (cd ui-tests && $(BIN)/jlpm install)
	cd ui-tests && $(BIN)/jlpm test

## bench: every benchmark's figures beside its anchor's, summed up in bench/RESULTS.md
bench: setup
	$(PY) -m compileall -q nbtools server/jupyter_nbtools
	rm -f bench/.results.jsonl
	failed=(); for script in bench/bench_*.py; do \
	  NBTOOLS_BENCH_RESULTS=$(CURDIR)/bench/.results.jsonl $(PY) "$$script" || failed+=("$$script"); \
	done; \
	$(PY) bench/summary.py bench/.results.jsonl bench/RESULTS.md "$${failed[@]}"; \
	test $${#failed[@]} -eq 0

clean:
	rm -rf $(VENV) node_modules lib server/jupyter_nbtools/labextension ui-tests/node_modules \
	  ui-tests/test-results ui-tests/playwright-report tsconfig.tsbuildinfo
