# Disquaire — the two commands are `make demo` and `make test`.
# The tests never read a .env file (DISQUAIRE_ENV_FILES=off): yours configures your shop.
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

test: lint test-browser test-sqlite test-postgres

test-sqlite: $(STAMP)
	DISQUAIRE_ENV_FILES=off DISQUAIRE_DATA_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not postgres"

test-postgres: $(STAMP)
	DISQUAIRE_ENV_FILES=off DISQUAIRE_DATA_DIR=$(CURDIR)/var/test-postgres DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"

# axe-core (package.json) for the accessibility scan; node_modules/ is not committed.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else \
	  echo "!!! npm not found: the accessibility (axe-core) browser test will be SKIPPED (apt-get install npm)"; \
	fi

# Exit status 5 is pytest's "no test collected": not a failure while no browser test exists.
test-browser: $(STAMP) node_modules/.installed
	@command -v chromium >/dev/null || echo "!!! Chromium not found: browser tests will be SKIPPED (apt-get install chromium)"
	DISQUAIRE_ENV_FILES=off $(BIN)/pytest -m browser -p no:xdist; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status

bench: $(STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
