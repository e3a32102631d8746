# Ventas Digitales — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: run test lint format unit integration app e2e pr openapi clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip<26.3'
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## The whole system on the local stage (moto as AWS, chalice local, stream pump, schedules).
run: $(STAMP)
	$(BIN)/python -m localstage.run

## Lint, types and the whole test suite.
test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --timeout=300

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib localstage

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/contract tests/integration

app: $(STAMP)
	$(BIN)/python -m pytest tests/app

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

openapi: $(STAMP)
	$(BIN)/python -m chalicelib.openapi > docs/openapi.json

pr: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache vendor out .local-stage
