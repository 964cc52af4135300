# Disquaire — the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/disquaire
PYTEST_WORKERS ?= 2
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres test-browser lint format bench install clean messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Disquaire needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/disquaire demo --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m disquaire.core.i18n_check

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

messages: $(STAMP)
	cd src/disquaire && ../../$(BIN)/disquaire makemessages -l fr --no-obsolete --no-location && ../../$(BIN)/disquaire compilemessages

test: lint test-sqlite test-postgres test-browser

test-sqlite: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not postgres"

test-postgres: $(STAMP)
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"

test-browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:xdist

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
