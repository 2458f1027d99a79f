"""Statistics at scale: generate 1,000,000 dossiers (once; the time is recorded), then the province
dashboard for a year and for a month, the public page and the API, p95 over HTTP (target <= 100 ms). Pages keep computed figures 30 s, so the HTTP rows are mostly cache hits; the
"uncached" rows time a cache miss in process.

BENCH_STATS_COUNT changes the number of dossiers (default 1,000,000).
"""

import json
import os
import sys
import time

# This file's name shadows the standard library's ``statistics``, which common.py imports: load
# the real one first, with this folder out of the path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
import statistics  # noqa: E402,F401

sys.path.insert(0, _HERE)
from common import VAR_BENCH, Row, http_load, report, serve, setup_django, timed

COUNT = int(os.environ.get("BENCH_STATS_COUNT", "1000000"))
N = int(os.environ.get("BENCH_STATS_REQUESTS", "400"))
GENERATION_FILE = VAR_BENCH / "statistics-generation.json"


def ensure_data() -> dict:
    from motcua.dossiers.models import Dossier
    from motcua.stats import rollups
    from motcua.stats.generator import Generator

    have = Dossier.objects.count()
    if have >= COUNT and GENERATION_FILE.exists():
        return json.loads(GENERATION_FILE.read_text())
    missing = max(0, COUNT - have)
    t0 = time.perf_counter()
    result = Generator(missing, agencies=50, seed=766).run() if missing else {"dossiers": 0, "events": 0}
    written = time.perf_counter() - t0
    t1 = time.perf_counter()
    rollups.rebuild()
    rollups.rebuild_snapshots()
    rebuilt = time.perf_counter() - t1
    info = {"dossiers": result["dossiers"], "events": result["events"], "write_s": round(written, 1),
            "rebuild_s": round(rebuilt, 1), "total_s": round(written + rebuilt, 1), "load_average": os.getloadavg()[0]}
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    GENERATION_FILE.write_text(json.dumps(info))
    return info


def manager_cookie() -> str:
    """A session of a province-wide statistics manager, made in process."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from motcua.accounts.models import User
    from motcua.organisations.models import Agency, StaffRole

    user, _ = User.objects.get_or_create(username="bench-thongke", defaults={"kind": User.Kind.STAFF, "full_name": "Bench"})
    root = Agency.objects.filter(parent=None).order_by("id").first()
    StaffRole.objects.get_or_create(user=user, agency=root, role="system_admin")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def main() -> None:
    setup_django()
    from django.utils import timezone

    from motcua.dossiers.models import Dossier

    info = ensure_data()
    gen = Row(f"generate {info['dossiers']:,} dossiers + rebuild (s)", [info["total_s"]], info["total_s"],
              extra={"http": False, **info})
    cookie = {"Cookie": manager_cookie()}
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timezone.timedelta(days=1))
    year, month = f"{today.year - 1}", f"{last_month.year}-{last_month.month:02d}"
    rows = [gen]
    # A cache miss: figures computed from the rollups in this process (the pages cache them 30 s).
    from motcua.stats import reports
    from motcua.stats.indicators import Period
    from motcua.stats.services import AgencyTree

    for ky in (year, month):
        row = timed(f"figures of the province, {ky}, uncached (in process)",
                    lambda i, ky=ky: reports.build(Period.parse(ky), None, None, AgencyTree(), use_cache=False), 30, warmup=3)
        row.extra["http"] = False
        rows.append(row)
    with serve() as base:
        http_load("warm-up", base, [("GET", f"/thong-ke/?ky={year}", None, cookie)] * 40, concurrency=2)
        rows.append(http_load(f"province dashboard, year {year}", base,
                              [("GET", f"/thong-ke/?ky={year}", None, cookie)] * N, concurrency=4))
        rows.append(http_load(f"province dashboard, month {month}", base,
                              [("GET", f"/thong-ke/?ky={month}", None, cookie)] * N, concurrency=4))
        rows.append(http_load(f"public statistics page, year {year}", base, [f"/cong-khai/thong-ke/?ky={year}"] * N,
                              concurrency=4))
        rows.append(http_load(f"API /stats/indicators, month {month}", base,
                              [f"/api/v1/stats/indicators?ky={month}"] * N, concurrency=4))
        rows.append(http_load(f"drill-down list (50 dossiers), month {month}", base,
                              [("GET", f"/thong-ke/ho-so/?chi_tieu=received_online&ky={month}", None, cookie)] * (N // 4),
                              concurrency=4))
    report("statistics", rows, note=f"{Dossier.objects.count():,} dossiers on {os.environ.get('DATABASE_URL', 'sqlite').split(':')[0]}; "
           f"generation: write {info['write_s']} s, rebuild {info['rebuild_s']} s")


if __name__ == "__main__":
    main()
