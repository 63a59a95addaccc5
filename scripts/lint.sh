#!/usr/bin/env bash
# The shape of the code, as `make lint` and `make test` check it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== ruff"; $BIN/ruff check .
echo "== mypy (strict, tests included)"; SECRET_KEY=type-check-only $BIN/mypy .
echo "== import contracts"; $BIN/lint-imports --no-cache
echo "== rule owners (ledger, referrals)"; $BIN/python scripts/check_rule_owners.py
echo "== entrusted data readers (委託: applicants)"; $BIN/python scripts/check_entrusted_readers.py
