# Two entry points for a fresh machine with python3 (3.11+) and make:
#   make run   -> set up .venv and serve the API on 127.0.0.1:8000 with an embedded Redis
#   make test  -> set up .venv and run lint, types and the whole test suite
# Set-up is idempotent: .venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tonematch-installed

.PHONY: run test lint typecheck pytest bench clean setup chromium

setup: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "tonematch needs Python 3.11+"'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's venv module (needs root)"; \
	  apt-get update -qq && apt-get install -y -qq "python3-venv" && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade "pip>=24" "setuptools>=68" wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/tonematch serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The lab console's browser test drives Debian's Chromium (never a downloaded build). Installed once when missing;
# without root or apt the install is skipped and so is that one test, which says why.
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the lab console's browser test (needs root and apt)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	    || echo "could not install chromium: the browser test will be skipped"; }

pytest: $(STAMP) chromium
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
