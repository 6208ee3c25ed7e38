# The front door: `make serve`, `make test`, `make bench`. Each creates .venv and installs what
# it needs on a fresh machine (system packages: see .ci/run).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
REGKG  := $(VENV)/bin/regkg
STAMP  := $(VENV)/.installed

.PHONY: install build serve test lint format bench bench-full bench-http clean

# Exactly the tested versions (requirements.lock), then the package itself without resolving again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(REGKG) build

# Serves on 127.0.0.1:8000; builds the store first when it is missing.
serve: $(STAMP)
	$(REGKG) serve

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench

# Scale benchmark (bench/scale/run.py): quick = 10k and 100k triples; bench-full adds 1M and 10M.
# Set REGKG_BENCH_VIRTUOSO to a Virtuoso SPARQL endpoint to time it too (scripts/virtuoso.sh).
bench: $(STAMP)
	$(PY) bench/bench_build_and_query.py
	$(PY) bench/scale/run.py

bench-full: $(STAMP)
	$(PY) bench/scale/run.py --full

# HTTP benchmark against Oxigraph server and rdflib-endpoint (8-10 minutes; see bench/http/README.md).
bench-http: $(STAMP)
	$(PY) bench/http/make_data.py
	$(PY) bench/http/run.py

clean:
	rm -rf var .pytest_cache .ruff_cache
