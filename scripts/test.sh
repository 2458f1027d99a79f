#!/usr/bin/env bash
# The whole suite: PostgreSQL (everything but the browser), SQLite (database-independent part),
# Chromium (browser tests, on PostgreSQL). Prints how many tests ran on each and exits non-zero
# on any failure. Extra arguments go to every pytest run (e.g. -k search).
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh || exit 1
./scripts/venv.sh test || exit 1

export MOTCUA_ENV=test
export PYTHONDONTWRITEBYTECODE=1
pgdir=$(mktemp -d /tmp/motcua-pg-XXXXXX)
cleanup() { ./scripts/pg.sh stop "$pgdir"; }
trap cleanup EXIT
pg_url=$(./scripts/pg.sh start "$pgdir") || { echo "could not start PostgreSQL" >&2; exit 1; }
echo "PostgreSQL test cluster: $pg_url"
reports=$(mktemp -d /tmp/motcua-reports-XXXXXX)
status=0

run() {  # name, database url, marker expression, extra args...
  local name=$1 url=$2 marks=$3; shift 3
  echo
  echo "=== $name ==="
  DATABASE_URL=$url .venv/bin/python -m pytest -q -m "$marks" --junitxml="$reports/$name.xml" "$@" || status=1
}

run postgresql "$pg_url" "not browser" "$@"
run sqlite "sqlite:///$reports/test.sqlite3" "not browser and not postgres" "$@"
run chromium "$pg_url" "browser" "$@"

echo
echo "=== summary ==="
.venv/bin/python - "$reports" <<'PY'
import sys, xml.etree.ElementTree as ET
from pathlib import Path
for name in ["postgresql", "sqlite", "chromium"]:
    f = Path(sys.argv[1]) / f"{name}.xml"
    if not f.exists():
        print(f"{name:11s}: no report"); continue
    s = ET.parse(f).getroot()
    s = s if s.tag == "testsuite" else s.find("testsuite")
    t, fl, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(f"{name:11s}: {t - fl - e - sk} passed, {fl} failed, {e} errors, {sk} skipped (of {t})")
PY
rm -rf "$reports"
[ $status = 0 ] && echo "make test: OK" || echo "make test: FAILED"
exit $status
