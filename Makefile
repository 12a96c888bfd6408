# ParkGrid: the two commands are `make run` and `make test`; everything else supports them.
# Everything installs into the project (.venv, .local); nothing is needed beforehand but
# Python 3.11, Java 17 + Maven, Go and apt (see README).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
INFRA := bash deploy/local/infra.sh
SERVICE_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
MYPY_PATH := $(subst $(eval) ,:,$(strip shared/src $(addsuffix /src,$(SERVICE_DIRS))))
TEST_DIRS := shared/tests $(addsuffix /tests,$(SERVICE_DIRS)) $(patsubst %/,%,$(sort $(dir $(wildcard tests/*/*.py))))
INSTALL_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=
# A checkout is development (public development secrets, demo sign-in) only because it says so:
# unset, every ParkGrid process is production and refuses them.
export PARKGRID_ENV ?= development
# FerretDB's backend for whatever starts the infrastructure (run, up, test, bench, chaos):
# sqlite (measured faster here, bench/README.md) or postgresql (deploy/local/README.md).
export STORE ?= sqlite

.PHONY: help install lock i18n contracts infra-up infra-down infra-status infra-logs infra-wipe \
        run up down test test-unit bench chaos lint format clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# ------------------------------------------------------------------ install

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11) on PATH, or PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(INSTALL_STAMP): $(BIN)/python requirements/lock.txt shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements/lock.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e shared $(addprefix -e ,$(SERVICE_DIRS))
	touch $@

install: $(INSTALL_STAMP) $(NODE_STAMP) ## install Python deps (.venv), Node tools, Kafka jars, FerretDB, kcat
	bash deploy/local/install.sh all

# The AsyncAPI CLI (package.json). --ignore-scripts: its postinstall would append shell
# completion to ~/.bashrc, and a dependency's would phone home; none is needed to run it.
$(NODE_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "need Node.js and npm on PATH (for the AsyncAPI CLI)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	touch $@

# One lock for the workspace: what the kit and every service declare (their pyprojects, with
# their extras) and the development tools (requirements/dev.in), resolved together. Images
# install only their own packages' dependencies under it (python shared/src/parkgrid/image.py).
LOCK_INPUTS := requirements/kit.in shared/pyproject.toml $(sort $(wildcard services/*/pyproject.toml)) requirements/dev.in

lock: $(BIN)/python ## re-resolve every pyproject and requirements/dev.in into requirements/lock.txt
	$(BIN)/uv pip compile -q --python-version 3.11 --all-extras --no-emit-package parkgrid-kit \
	    $(LOCK_INPUTS) -o requirements/lock.txt

i18n: $(INSTALL_STAMP) ## add the web app's new message keys to its fr/en/ar catalogues (Babel extraction) and name unused ones
	$(BIN)/python -m frontdesk.catalogues

contracts: $(INSTALL_STAMP) ## regenerate JSON Schemas and the AsyncAPI document
	$(BIN)/parkgrid contracts generate

# ------------------------------------------------------------------ infrastructure

infra-up: install ## start Kafka and FerretDB (STORE=sqlite|postgresql) on loopback, create the declared topics
	$(INFRA) up
	$(BIN)/parkgrid topics --ensure --quiet

infra-down: ## stop Kafka and FerretDB (no process left behind)
	$(INFRA) down

infra-status: ## show whether Kafka and FerretDB run
	$(INFRA) status

infra-logs: ## tail the infrastructure logs (FOLLOW=1 to follow)
	$(INFRA) logs

infra-wipe: ## stop and delete Kafka's and FerretDB's data (keeps downloads)
	$(INFRA) wipe

# ------------------------------------------------------------------ the platform

run: infra-up ## install, start infrastructure and every service, seed, print URLs; Ctrl-C stops all
	bash deploy/local/services.sh run

up: infra-up ## like run, in the background; returns once every service is ready
	bash deploy/local/services.sh up

down: ## stop the services and the infrastructure
	bash deploy/local/services.sh down
	$(INFRA) down

# ------------------------------------------------------------------ checks

test: install ## install, start what the tests need, run the whole suite, stop what it started
	@started=0; \
	if ! $(INFRA) status >/dev/null 2>&1; then $(INFRA) up; started=1; fi; \
	status=0; \
	$(MAKE) --no-print-directory lint || status=$$?; \
	if [ $$status -eq 0 ]; then $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; fi; \
	if [ $$started -eq 1 ]; then $(INFRA) down; fi; \
	exit $$status

# Stops the infrastructure afterwards only if neither part was running (nor starting) before.
bench: install ## benchmarks vs raw baselines on the local stack (QUICK=1: short); writes bench/results/
	@started=0; \
	if ! $(INFRA) status >/dev/null 2>&1; then \
	  started=1; \
	  for f in $${PARKGRID_LOCAL:-.local}/run/*.pid; do \
	    if [ -f "$$f" ] && kill -0 "$$(cat "$$f")" 2>/dev/null; then started=0; fi; \
	  done; \
	  $(INFRA) up; \
	fi; \
	status=0; \
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS) || status=$$?; \
	if [ $$started -eq 1 ]; then $(INFRA) down; fi; \
	exit $$status

chaos: install ## the long fault-injection runs (kill -9 of services, store and broker; three brokers)
	@started=0; \
	if ! $(INFRA) status >/dev/null 2>&1; then $(INFRA) up; started=1; fi; \
	status=0; \
	$(BIN)/python -m pytest -m chaos $(PYTEST_ARGS) tests/reliability || status=$$?; \
	if [ $$started -eq 1 ]; then $(INFRA) down; fi; \
	exit $$status

test-unit: $(INSTALL_STAMP) ## every test that needs no infrastructure (domains, service layers on fakes, kit), in about a minute
	$(BIN)/python -m pytest --unit $(PYTEST_ARGS)

lint: $(INSTALL_STAMP) ## ruff and mypy (the code, the bench and every test directory)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPYPATH=$(MYPY_PATH) $(BIN)/mypy shared/src $(addsuffix /src,$(SERVICE_DIRS)) bench
	@# One run per test directory: pytest puts each on sys.path (its helpers import as top-level
	@# modules), and each has its own conftest.py.
	@for d in $(TEST_DIRS); do echo "mypy $$d"; MYPYPATH=$(MYPY_PATH):$$d $(BIN)/mypy $$d || exit 1; done

format: $(INSTALL_STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: down ## stop everything and delete .venv, .local and node_modules
	rm -rf $(VENV) .local node_modules
