# Every target creates and uses the local .venv itself, so a fresh clone needs only python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint format check interop bench demo docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Two processes (pytest-xdist): every test has its own HOME, temp folders and --port 0 servers.
test: install
	$(BIN)/python -m pytest -q -n 2

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

check: lint test

# Tests that download (the AWS CLI v1 from PyPI, once, into benchmarks/.venv-awscli): not in check.
interop: install
	$(BIN)/python -m pytest -q -m interop

bench: install
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_serve.py
	$(BIN)/python benchmarks/bench_batch.py

docs: install
	$(BIN)/python docs/cli_reference.py

demo: install
	$(BIN)/python -m sagemaker_async.local.demo

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
