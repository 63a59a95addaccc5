# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate demo clean messages

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	@DEBUG=1 $(BIN)/python manage.py migrate --noinput
	@DEBUG=1 $(BIN)/python manage.py seed_demo
	@DEBUG=1 bash scripts/serve.sh

test: $(STAMP)
	@bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles test-artifacts
