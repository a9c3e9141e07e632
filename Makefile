# Two commands do all the set-up on a machine that has only python3:
#   make demo   -> .venv with pinned deps, then prodml demo: the whole lifecycle (train, serve,
#                  drift, alerts, retrain, A/B test, promotion) on the bundled credit example
#   make test   -> dev deps, lint (ruff), format check, types (mypy), the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])")
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(STAMP): $(BIN)/python constraints.txt pyproject.toml
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,export,ray]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf build/demo
	$(BIN)/prodml demo --dir build/demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/train.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
