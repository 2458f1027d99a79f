#!/usr/bin/env bash
# Set up and serve the demo on SQLite: venv, migrations, demo data (idempotent), granian.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8000}
./scripts/system-deps.sh run
./scripts/venv.sh
export MOTCUA_ENV=${MOTCUA_ENV:-development}
mkdir -p var
.venv/bin/motcua migrate --noinput -v 0
.venv/bin/motcua demo
# Development signing CA and one certificate per agency (kept when already there).
.venv/bin/motcua dev-ca > /dev/null
echo
echo "MotCua is serving at http://127.0.0.1:$port/  (Ctrl+C to stop)"
exec .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$port" --workers 2 --blocking-threads 2 \
  --log-level warning motcua.wsgi:application
