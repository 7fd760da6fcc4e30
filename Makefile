# TTMS. `make run` and `make test` are all a fresh machine with Python 3.11+ needs.
# With DATABASE_URL and REDIS_URL set, the same targets use PostgreSQL and Redis.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
MUTANTS_CHILDREN ?= 2

.DEFAULT_GOAL := help
.PHONY: help run serve test lint format messages messages-check migrate demo bench mutants clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	@touch $(VENV)/.installed $@

run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed  ## venv, install, migrate, demo data, serve on HOST:PORT (127.0.0.1:8000)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "TTMS is serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	exec $(BIN)/uvicorn ttms.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio

serve: export TTMS_STATIC_MANIFEST = 1
serve: $(VENV)/.installed  ## production layout: gunicorn (HTTP), uvicorn (/ws/), Celery worker and beat
	@test -n "$$REDIS_URL" || { echo "make serve needs REDIS_URL (the Celery worker and beat use it)"; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	mkdir -p var
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start

test: $(VENV)/.installed-dev  ## the whole suite (pytest); exit 5 (no test ran) counts as failure
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: $(VENV)/.installed-dev  ## ruff (the checks, the layout) and the import contract (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev  ## ruff format and import sorting
	$(BIN)/ruff check --fix --select I .
	$(BIN)/ruff format .

# The translation catalogues (locale/, docs/translations.md); both need GNU gettext.
MESSAGES_LANGUAGES ?= hi
MESSAGES_OPTIONS := --no-location --no-obsolete --ignore=tests --ignore=bench --ignore=scripts --ignore=conftest.py

messages: $(VENV)/.installed  ## update the catalogues from the code (locale/), then compile them
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages $(foreach l,$(MESSAGES_LANGUAGES),-l $(l)) $(MESSAGES_OPTIONS)
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages $(foreach l,$(MESSAGES_LANGUAGES),-l $(l)) --ignore=.venv --ignore=staticfiles --ignore=mutants

messages-check: $(VENV)/.installed  ## fail on a message missing from a catalogue, untranslated, fuzzy, or not compiled
	$(BIN)/python scripts/messages_check.py

bench: $(VENV)/.installed-dev  ## benchmarks (bench/), JSON results in bench/results/; BENCH=name runs one
	$(BIN)/python -m bench $(BENCH)

mutants: $(VENV)/.installed-dev  ## mutation testing of the pure rules modules (mutmut, embedded SQLite)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mutmut run --max-children $(MUTANTS_CHILDREN)
	$(BIN)/mutmut export-cicd-stats
	@echo "surviving mutants: $(BIN)/mutmut results; one of them: $(BIN)/mutmut show NAME"

migrate: export DJANGO_DEBUG ?= 1
migrate: $(VENV)/.installed  ## apply migrations
	$(BIN)/python manage.py migrate

demo: export DJANGO_DEBUG ?= 1
demo: $(VENV)/.installed  ## load the demo data (idempotent)
	$(BIN)/python manage.py load_demo

clean:  ## remove the venv, the SQLite database and collected static files
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles var
