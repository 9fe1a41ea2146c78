# Hamvatan Fund — the two commands are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# Two workers: each gets its own SQLite copies, or its own PostgreSQL database (<name>_gw0, …).
PYTEST_ARGS ?= -n 2

.PHONY: run test install lint format translations migrate demo test-sqlite test-postgresql bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(FLASK) i18n compile

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty

run: translations demo
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on SQLite, then the same suite on PostgreSQL when TEST_DATABASE_URL names one.
# Under CI=true a missing PostgreSQL is an error, never a silent skip.
# Browser tests (they drive pages, whatever the engine) run once: in the PostgreSQL pass when there
# is one, else in the SQLite pass.
test: lint translations
	$(MAKE) --no-print-directory test-sqlite FUNDAPP_TEST_BROWSER=$(if $(TEST_DATABASE_URL),0,1)
	$(MAKE) --no-print-directory test-postgresql

FUNDAPP_TEST_BROWSER ?= 1

test-sqlite: install
	FUNDAPP_TEST_ENGINE=sqlite FUNDAPP_TEST_BROWSER=$(FUNDAPP_TEST_BROWSER) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgresql: install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		FUNDAPP_TEST_ENGINE=postgresql FUNDAPP_TEST_BROWSER=1 $(BIN)/python -m pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL run cannot be skipped" >&2; exit 1; \
	else \
		echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped (set it to run the suite on PostgreSQL too)"; \
	fi

bench: install
	$(BIN)/python benchmarks/ledger_bench.py --db sqlite

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
