#!/usr/bin/env bash
# make bench: PostgreSQL like the tests, data generated once and cached in a persistent cluster
# (/var/tmp/motcua-bench-pg), then every bench/*.py scenario, the ceiling first.
#
#   scripts/bench.sh                  everything (what `make bench` runs)
#   scripts/bench.sh tracking inbox   only these scenarios (the ceiling is measured when missing)
#   BENCH_DOSSIERS=0 scripts/bench.sh ...   skip the 1,000,000 generated dossiers
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh bench || exit 1
./scripts/venv.sh test || exit 1
.venv/bin/python -c "import locust" 2>/dev/null || .venv/bin/python -m pip install -q -e ".[test,bench]" 2>&1 | grep -v "is ignored"

export MOTCUA_ENV=development
pgdir=${BENCH_PG_DIR:-/var/tmp/motcua-bench-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -f "$pgdir/data/PG_VERSION" ]; then
  rm -rf "$pgdir"; mkdir -p "$pgdir"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdir"
  as_pg "'$bin/initdb' -D '$pgdir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null || exit 1
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' > "$pgdir/port"
fi
port=$(cat "$pgdir/port")
as_pg "'$bin/pg_ctl' -D '$pgdir/data' status" >/dev/null 2>&1 || \
  as_pg "'$bin/pg_ctl' -D '$pgdir/data' -l '$pgdir/log' -w -o \"-p $port -k '$pgdir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB\" start" >/dev/null || exit 1
trap "as_pg \"'$bin/pg_ctl' -D '$pgdir/data' -w stop\" >/dev/null 2>&1" EXIT
as_pg "psql -h 127.0.0.1 -p $port -U postgres -tc \"SELECT 1 FROM pg_database WHERE datname='motcua_bench'\"" | grep -q 1 || \
  as_pg "createdb -h 127.0.0.1 -p $port -U postgres motcua_bench"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/motcua_bench"
export MOTCUA_VAR_DIR=$PWD/var
.venv/bin/motcua migrate --noinput -v 0 || exit 1
.venv/bin/motcua demo >/dev/null || exit 1

# 1,000,000 synthetic dossiers with their histories (stats generator, COPY), once: the cluster
# keeps them between runs. Generated before any scenario creates its own agencies.
want=${BENCH_DOSSIERS:-1000000}
have=$(as_pg "psql -h 127.0.0.1 -p $port -U postgres -d motcua_bench -Atc \"SELECT count(*) FROM dossiers_dossier WHERE code NOT LIKE 'BENCH%'\"")
if [ "${have:-0}" -lt "$want" ]; then
  echo "generating $((want - have)) dossiers (once; cached in $pgdir)"
  start=$(date +%s); mkdir -p var/bench
  .venv/bin/motcua generate-dossiers --count $((want - have)) --agencies 50 -v 0 || exit 1
  echo "{\"dossiers\": $want, \"seconds\": $(( $(date +%s) - start ))}" > var/bench/generation.json
  echo "generated in $(( $(date +%s) - start )) s"
fi

status=0
cd bench
if [ $# -eq 0 ]; then
  scenarios=$(ls *.py | grep -vE '^(common|ceiling|locustfile)\.py$' | sed 's/\.py$//')
else
  scenarios="$*"
fi
if [ $# -eq 0 ] || [ ! -f ../var/bench/ceiling.json ]; then
  echo "=== bench/ceiling.py ==="
  ../.venv/bin/python ceiling.py || status=1
fi
for s in $scenarios; do
  [ "$s" = ceiling ] && continue
  echo; echo "=== bench/$s.py ==="
  ../.venv/bin/python "$s.py" || status=1
done
exit $status
