# The two commands of the README do all their own set-up: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test lint fmt install dbt-parse clean browser java

$(BIN)/python:
	@echo "creating $(VENV), the project's virtual environment"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@# compat: the project folder itself on sys.path; its transitional-mode notice is setuptools', not the operator's
	@echo "installing the project and its dependencies into $(VENV) (a few minutes the first time)"
	@PYTHONWARNINGS="ignore:Compat editable installs" $(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser test (Playwright's own browser download cannot work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium"; exit 1; fi; }

# Java 17 for the Spark engine (LWW_ENGINE=spark) and its tests: Debian's headless runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "java is missing: sudo apt-get install openjdk-17-jre-headless"; exit 1; fi; }

dbt-parse: install
	cd dbt && ../$(BIN)/dbt deps --quiet && ../$(BIN)/dbt parse --quiet

test: install browser java
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	dbt/lint.sh

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: install
	@$(BIN)/lww demo

clean:
	rm -rf $(VENV) dbt/target dbt/logs .pytest_cache
