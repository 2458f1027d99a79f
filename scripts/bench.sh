#!/usr/bin/env bash
# make bench: PostgreSQL like the tests, data generated once and cached in a persistent cluster
# (/var/tmp/motcua-bench-pg), then every bench/*.py scenario, the ceiling first.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh || exit 1
./scripts/venv.sh test || exit 1
.venv/bin/python -c "import locust" 2>/dev/null || .venv/bin/python -m pip install -q -e ".[test,bench]" 2>&1 | grep -v "is ignored"

export MOTCUA_ENV=development
pgdir=${BENCH_PG_DIR:-/var/tmp/motcua-bench-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { su postgres -s /bin/sh -c "$*"; }
if [ ! -f "$pgdir/data/PG_VERSION" ]; then
  rm -rf "$pgdir"; mkdir -p "$pgdir"; chown postgres:postgres "$pgdir"
  as_pg "'$bin/initdb' -D '$pgdir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' > "$pgdir/port"
fi
port=$(cat "$pgdir/port")
as_pg "'$bin/pg_ctl' -D '$pgdir/data' status" >/dev/null 2>&1 || \
  as_pg "'$bin/pg_ctl' -D '$pgdir/data' -l '$pgdir/log' -w -o \"-p $port -k '$pgdir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200 -c shared_buffers=512MB\" start" >/dev/null
trap "as_pg \"'$bin/pg_ctl' -D '$pgdir/data' -w stop\" >/dev/null 2>&1" EXIT
as_pg "psql -h 127.0.0.1 -p $port -U postgres -tc \"SELECT 1 FROM pg_database WHERE datname='motcua_bench'\"" | grep -q 1 || \
  as_pg "createdb -h 127.0.0.1 -p $port -U postgres motcua_bench"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/motcua_bench"
export MOTCUA_VAR_DIR=$PWD/var
.venv/bin/motcua migrate --noinput -v 0 || exit 1
.venv/bin/motcua demo >/dev/null || exit 1

status=0
cd bench
../.venv/bin/python ceiling.py || status=1
for f in $(ls *.py | grep -vE '^(common|ceiling)\.py$'); do
  echo; echo "=== bench/$f ==="
  ../.venv/bin/python "$f" || status=1
done
exit $status
