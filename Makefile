# Disquaire — the two commands are `make demo` and `make test`.
# The tests never read a .env file (DISQUAIRE_ENV_FILES=off): yours configures your shop.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/disquaire
PYTEST_WORKERS ?= 2
FUZZ_SECONDS ?= 60
STAMP := $(VENV)/.installed

.PHONY: vendor demo test test-sqlite test-postgres test-browser lint format bench install clean messages check-deploy lab-check fuzz

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
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m disquaire.core.i18n_check
	$(BIN)/python scripts/dependency_audit.py

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

messages: $(STAMP)
	cd src/disquaire && ../../$(BIN)/disquaire makemessages -l fr --no-obsolete --no-location && ../../$(BIN)/disquaire compilemessages

test: lint check-deploy test-browser test-sqlite test-postgres

# Django's deployment checks and ours (disquaire.core.checks) in production mode, with a
# fresh key and an https site address: any warning fails.
check-deploy: $(STAMP)
	@rm -rf $(CURDIR)/var/check-deploy
	env -u DATABASE_URL -u DISQUAIRE_PAYMENT_PROVIDERS DISQUAIRE_ENV_FILES=off DISQUAIRE_DATA_DIR=$(CURDIR)/var/check-deploy \
	  DISQUAIRE_PRODUCTION=1 DISQUAIRE_SITE_URL=https://shop.example.org \
	  DISQUAIRE_ALLOWED_HOSTS=shop.example.org \
	  DISQUAIRE_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  $(BIN)/disquaire check --deploy --fail-level WARNING

test-sqlite: $(STAMP)
	DISQUAIRE_ENV_FILES=off DISQUAIRE_DATA_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not postgres"

# The fuzzers use their own SQLite database: once per `make test` is enough.
test-postgres: $(STAMP)
	DISQUAIRE_ENV_FILES=off DISQUAIRE_DATA_DIR=$(CURDIR)/var/test-postgres DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not fuzz"

# Each parser of untrusted input fuzzed FUZZ_SECONDS (make test: 3 s each); the corpus
# grows in var/fuzz from one run to the next (tests/fuzz/test_fuzz.py).
fuzz: $(STAMP)
	DISQUAIRE_ENV_FILES=off DISQUAIRE_FUZZ_SECONDS=$(FUZZ_SECONDS) DISQUAIRE_FUZZ_DIR=$(CURDIR)/var/fuzz $(BIN)/pytest -n $(PYTEST_WORKERS) -m fuzz -v

# axe-core (package.json) for the accessibility scan; node_modules/ is not committed.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else \
	  echo "!!! npm not found: the accessibility (axe-core) browser test will be SKIPPED (apt-get install npm)"; \
	fi

# The merch table's service worker and storage libraries (package.json "dependencies"),
# copied as they are published: served as static files, no bundler. Commit the result.
VENDOR := src/disquaire/table/static/table/vendor
vendor: node_modules/.installed
	for p in core routing strategies; do \
	  cp node_modules/workbox-$$p/build/workbox-$$p.prod.js node_modules/workbox-$$p/build/workbox-$$p.prod.js.map $(VENDOR)/; \
	done
	cp node_modules/idb/build/index.js $(VENDOR)/idb.js
	cp node_modules/idb/LICENSE $(VENDOR)/LICENSE-idb
	cp node_modules/workbox-core/LICENSE $(VENDOR)/LICENSE-workbox
	cp node_modules/uqr/dist/index.mjs $(VENDOR)/uqr.js
	cp node_modules/uqr/LICENSE $(VENDOR)/LICENSE-uqr
	cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsQR.js
	cp node_modules/jsqr/LICENSE $(VENDOR)/LICENSE-jsqr

# Exit status 5 is pytest's "no test collected": not a failure while no browser test exists.
test-browser: $(STAMP) node_modules/.installed
	@command -v chromium >/dev/null || echo "!!! Chromium not found: browser tests will be SKIPPED (apt-get install chromium)"
	DISQUAIRE_ENV_FILES=off $(BIN)/pytest -m browser -p no:xdist; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status

bench: $(STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

# The lab of docs/lab.md without building it (no root): the script's syntax and the
# configuration it writes. `bench/cluster.py` (in `make bench`) builds it, as root.
lab-check: $(STAMP)
	bash -n deploy/lab/lab.sh
	$(BIN)/pytest -p no:xdist -q tests/deploy/test_lab.py

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
