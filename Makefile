# The two commands: `make run` (set up, migrate, load the demo, serve) and `make test` (set up, lint, test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DATABASE_URL ?= sqlite:///consult.db

.PHONY: run test lint messages catalogues migrate demo test-postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json
	npm install --no-audit --no-fund -q
	touch node_modules/.installed

catalogues: $(STAMP)
	$(BIN)/pybabel -q compile -d consult/locale --domain messages

migrate: $(STAMP) catalogues
	$(BIN)/python -m consult migrate

demo: migrate
	$(BIN)/python -m consult demo

run: demo
	$(BIN)/python -m consult serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check consult tests bench
	$(BIN)/ruff format --check consult tests bench

# Tests run in parallel processes (pytest-xdist), one per core; TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= auto
test: $(STAMP) node_modules/.installed catalogues lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Extract new messages into the catalogues (then translate the Polish one and commit).
messages: $(STAMP)
	$(BIN)/pybabel extract -F pyproject.toml -k _ -k gettext -k ngettext:1,2 -o consult/locale/messages.pot --no-location --sort-output -w 120 .
	$(BIN)/pybabel update -i consult/locale/messages.pot -d consult/locale --domain messages --no-fuzzy-matching -w 120

clean:
	rm -rf $(VENV) node_modules consult.db consult.db-wal consult.db-shm
