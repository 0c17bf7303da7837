# Every target bootstraps its own virtual environment from nothing (python3 -m venv + pip).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Everything (tests, linters, type checker) for test/lint/typecheck; the runtime alone for serve.
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.runtime
# Arguments for juhe-mock: make serve ARGS='--port 8010 --scenarios flaky-network'
ARGS ?=

.PHONY: serve test lint typecheck check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,redis]'
	touch $(STAMP) $(RUNTIME_STAMP)

# The runtime only (the package and its dependencies, no test or dev tools): what serve needs.
$(RUNTIME_STAMP): pyproject.toml
	@echo "installing juhe-mock's runtime into $(VENV) (once)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

## Start the mock server (default scenarios; ARGS='...' go to juhe-mock; Ctrl-C stops it).
serve: $(RUNTIME_STAMP)
	$(VENV)/bin/juhe-mock $(ARGS)

## Run the whole test suite.
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
