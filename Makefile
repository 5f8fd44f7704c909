# ForceWatch: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
EXTRAS ?= dev,postgres,train
SRC    := src/forcewatch tests bench

.PHONY: setup system-deps demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ForceWatch needs Python 3.11 or newer (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*; touch $@

system-deps:
	@bash scripts/system-deps.sh

setup: system-deps $(STAMP)

demo: $(STAMP)
	$(BIN)/forcewatch demo --out demo-out

test: setup
	FORCEWATCH_TEST_POSTGRES_URL=$${FORCEWATCH_TEST_POSTGRES_URL:-$$(bash scripts/start-postgres.sh)} \
	  $(BIN)/pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/ruff check $(SRC)
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/omnibus.py
	$(BIN)/python bench/detect.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
