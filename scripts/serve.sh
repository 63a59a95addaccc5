#!/usr/bin/env bash
# Web server, task worker and scheduler for `make run`; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"
LOCAL_URL="http://127.0.0.1:$PORT"
export SITE_URL="${SITE_URL:-$LOCAL_URL}"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# RQ when REDIS_URL is set, else the database queue; it waits out a lost database or Redis (lib/workers.py).
$BIN/python manage.py worker & pids+=($!)
$BIN/python manage.py scheduler & pids+=($!)
$BIN/python manage.py runserver "127.0.0.1:$PORT" --noreload & pids+=($!)

cat <<MSG

  キャリアリレー is running on $LOCAL_URL  (Ctrl-C で停止)

  サインイン       $LOCAL_URL/accounts/login/  (デモ用のアカウントは上の一覧のとおりです)
  求職者の入口     $LOCAL_URL/r/demo
  送信メール       $LOCAL_URL/dev/mailbox/  (EMAIL_URL 未設定のため)
  ヘルスチェック   $LOCAL_URL/healthz

MSG
wait -n "${pids[@]}"
