# review-scorer: the Makefile is the interface. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
DATA ?= ../shared/data

export SAM_CLI_TELEMETRY := 0

.PHONY: help install tools demo test lint typecheck unit pytest build validate bench clean pr

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,training,sagemaker,dev]'
	touch $@

install: $(BIN)/.installed ## create .venv with the app, local mode and dev tools

$(SAM).installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	touch $@

tools: $(SAM).installed ## SAM CLI and cfn-lint in their own venv (their pins clash with ours)

demo: install ## run the whole pipeline locally on the sample CSV (no AWS account needed)
	$(BIN)/review-scorer demo

lint: install ## ruff and mypy
	$(BIN)/ruff check functions training tests bench
	$(BIN)/ruff format --check functions training tests bench
	$(BIN)/mypy

pytest: install tools
	$(BIN)/pytest -q

test: lint pytest ## the whole offline suite: lint, types, unit, functional, flow, contract

pr: test ## what CI runs

build: tools ## sam build (no Docker needed: makefile build with target-platform wheels)
	$(SAM) build

validate: tools ## sam validate --lint
	$(SAM) validate --lint

$(BIN)/.bench-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[local,training,sagemaker,dev,bench]'
	touch $@

bench: $(BIN)/.bench-installed ## benchmarks (a few minutes); DATA=shared data folder, QUICK=1 for small sizes
	$(BIN)/python -m bench.run --data $(DATA) $(if $(QUICK),--quick)

clean: ## remove virtual environments, caches and build output
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache review-scorer-output
