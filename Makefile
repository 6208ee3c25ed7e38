# The front door: `make serve`, `make test`, `make bench`. Each creates .venv and installs what
# it needs on a fresh machine (system packages: see .ci/run).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REGKG  := $(VENV)/bin/regkg
STAMP  := $(VENV)/.installed

.PHONY: install build serve test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(REGKG) build

var/store: | $(STAMP)
	$(REGKG) build

# The HTTP service is the next milestone (issue 4); until it lands, `make serve` builds the
# store when it is missing and opens an interactive SPARQL prompt on it.
serve: $(STAMP) var/store
	$(REGKG) serve

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench

bench: $(STAMP)
	$(PY) bench/bench_build_and_query.py

clean:
	rm -rf var .pytest_cache .ruff_cache
