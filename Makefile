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

.PHONY: run test setup lint pytest ui-deps ui-test bench build clean system-packages compiled

## run: set up and start JupyterLab with the extension on examples/ (loopback only)
run: setup build
	cd examples && $(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --allow-root \
	  --ServerApp.open_browser=False

## test: set up from scratch and run every check and test. Debian's packages install while
## the venv and npm packages install and the build runs (apt waits on the network and dpkg,
## pip and npm on theirs); the linters then run beside pytest (whose tests mostly wait on
## kernels and subprocesses; the linters' output is printed when they end), and the UI tests
## last, alone: they wait on latency (docs/architecture.md, "Time budget").
test:
	$(MAKE) -j2 --output-sync=target system-packages build compiled ui-deps
	$(MAKE) -j2 --output-sync=target lint pytest
	$(MAKE) ui-test

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

# jlpm comes with the venv (order-only: a newer venv does not reinstall the npm packages).
node_modules/.installed: package.json yarn.lock | $(INSTALLED)
	$(BIN)/jlpm install --immutable || $(BIN)/jlpm install
	touch $@

server/jupyter_nbtools/labextension/package.json: $(JS_SOURCES) package.json tsconfig.json \
  | node_modules/.installed
	$(BIN)/jlpm build
	touch $@

## lint: ruff, mypy, eslint and prettier; TypeScript's type check is the build's own compilation
## (`jlpm build` runs tsc on the same tsconfig.json, failing on any type error)
lint: setup build
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/jlpm lint:check

## compiled: nbtools byte-compiled, as a pip install leaves it: where PYTHONDONTWRITEBYTECODE is
## set (as in CI), every process a test starts (nbtools, workers, servers) would otherwise compile
## each module it imports again
compiled: setup
	$(PY) -m compileall -q nbtools server/jupyter_nbtools

## pytest: the Python tests, spread over the machine's cores (PYTEST_WORKERS=0 runs them in one process)
PYTEST_WORKERS ?= auto
pytest: setup system-packages compiled
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

## system-packages: what the tests need from Debian, in one apt-get if any is missing: the
## PostgreSQL server binaries (the tests start a throw-away server on loopback) and Chromium
system-packages:
	missing=(); \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql); \
	command -v chromium >/dev/null || missing+=(chromium); \
	if [ $${#missing[@]} -gt 0 ]; then \
	  apt-get update -qq && apt-get install -y -qq "$${missing[@]}"; \
	fi

## ui-deps: the UI tests' npm packages, and the tests type-checked (tsc on ui-tests/tsconfig.json:
## a test with a type error fails here, before a browser starts, not halfway through its run)
ui-deps: setup build
	cd ui-tests && $(BIN)/jlpm install --immutable || (cd ui-tests && $(BIN)/jlpm install)
	node_modules/.bin/tsc -p ui-tests

## ui-test: the Galata tests
ui-test: setup build system-packages compiled ui-deps
	cd ui-tests && $(BIN)/jlpm test

## bench: every benchmark's figures beside its anchor's, summed up in bench/RESULTS.md
bench: setup compiled
	rm -f bench/.results.jsonl
	failed=(); for script in bench/bench_*.py; do \
	  BENCH_RESULTS_FILE=$(CURDIR)/bench/.results.jsonl $(PY) "$$script" || failed+=("$$script"); \
	done; \
	$(PY) bench/summary.py bench/.results.jsonl bench/RESULTS.md "$${failed[@]}"; \
	test $${#failed[@]} -eq 0

clean:
	rm -rf $(VENV) node_modules lib server/jupyter_nbtools/labextension ui-tests/node_modules \
	  ui-tests/test-results ui-tests/playwright-report tsconfig.tsbuildinfo
