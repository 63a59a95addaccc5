# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Compiled translations are build output: made from the .po files, never committed.
MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

.PHONY: run test lint clean messages bench

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/python scripts/compile_messages.py

# `PORT=8080 make run` serves elsewhere; links in the demo data and in mail follow unless SITE_URL is set.
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)

run: $(STAMP) $(MO)
	@DEBUG=1 $(BIN)/python manage.py migrate --noinput
	@DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	@DEBUG=1 PORT=$(PORT) SITE_URL=$(SITE_URL) bash scripts/serve.sh

test: $(STAMP) $(MO)
	@bash scripts/test.sh

# The shape of the code: ruff (incl. complexity, time zones, banned APIs), mypy strict (tests too), the layer
# contracts (.importlinter) and each rule's single writer (scripts/check_rule_owners.py). `make test` runs the
# same through scripts/test.sh.
lint: $(STAMP)
	@bash scripts/lint.sh

messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=tests --ignore=staticfiles
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles test-artifacts

# Every benchmark on SQLite, then on PostgreSQL (each creates and drops its own database). Prints figures.
# The fault drill starts the production profile itself, on both configurations, so it runs once, last.
BENCHES := $(filter-out bench/harness.py bench/fault_drill.py,$(wildcard bench/*.py))
PG_BENCH := postgres://postgres@127.0.0.1:5432
bench: $(STAMP)
	@for b in $(BENCHES); do echo "== $$b (SQLite)"; $(BIN)/python $$b || exit 1; done
	@for b in $(BENCHES); do n=$$(basename $$b .py); echo "== $$b (PostgreSQL)"; \
	  BENCH_DATABASE_URL=$(PG_BENCH)/bench_$$n $(BIN)/python $$b || exit 1; done
	@echo "== bench/fault_drill.py (embedded and scale-out)"; $(BIN)/python bench/fault_drill.py
