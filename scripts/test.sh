#!/usr/bin/env bash
# The whole suite: lint, types, tests on SQLite, then again on PostgreSQL (and Redis) when they answer.
# With CI=true a missing PostgreSQL, Redis or Chromium is an error instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${POSTGRES_TEST_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL_FOR_TESTS="${REDIS_TEST_URL:-redis://127.0.0.1:6379/15}"
strict="${CI:-}"
missing() {
  if [ "$strict" = "true" ]; then echo "ERROR: $1 (required when CI=true)"; exit 1; fi
  echo "SKIPPED: $1"
}

if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests…"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  export CHROMIUM_PATH="$(command -v chromium)"
else
  missing "browser tests: Debian's chromium is not installed"
fi

bash scripts/lint.sh

if $BIN/python -c "import redis,sys; redis.Redis.from_url('$REDIS_URL_FOR_TESTS', socket_connect_timeout=2).ping()" 2>/dev/null; then
  export REDIS_TEST_URL="$REDIS_URL_FOR_TESTS"
else
  missing "Redis-backed worker tests: no Redis at $REDIS_URL_FOR_TESTS"
fi

echo "== tests on SQLite"
env -u DATABASE_URL $BIN/pytest "$@"

if $BIN/python -c "import psycopg; psycopg.connect('${PG_URL/postgres:\/\//postgresql://}', connect_timeout=3).close()" 2>/dev/null; then
  echo "== tests on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" $BIN/pytest "$@"
else
  missing "PostgreSQL run: no server at $PG_URL"
fi
