# The README's two commands. Each creates .venv when missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_DEMO)

## demo: generate synthetic data, import it into ./demo-data/ftr.db, match, show ranked
## matches, then run the review service on it with a demo login (Ctrl-C stops it)
demo: $(STAMP_DEMO)
	rm -f demo-data/ftr.db demo-data/ftr.db-wal demo-data/ftr.db-shm
	$(BIN)/ftr --db sqlite:///demo-data/ftr.db demo --data-dir demo-data --serve

## test: ruff, then the whole test suite (PostgreSQL tests skip when no server answers)
test: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo 'pytest ran no tests' >&2; exit 1; fi; exit $$status

bench: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks.accuracy

clean:
	rm -rf $(VENV) demo-data .pytest_cache
