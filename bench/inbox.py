"""Work inbox at scale: 1,000,000 dossiers over 50 agencies on PostgreSQL; one agency's inbox page
(50 rows, one status, sorted by time left) over HTTP. Target: p95 <= 30 ms.

The dossiers are generated once, server side (INSERT ... SELECT generate_series), and kept in the
cached benchmark database; a marker agency ``BENCH.INBOX.01`` tells that they exist.
"""

from __future__ import annotations

import os
import time

from common import http_load, report, serve, setup_django, timed, wrk_available, wrk_load

COUNT = int(os.environ.get("BENCH_INBOX_DOSSIERS", "1000000"))
AGENCIES = 50
REQUESTS = int(os.environ.get("BENCH_INBOX_REQUESTS", "3000"))
PREFIX = "BENCH.INBOX."

# status -> share in per mille (sums to 1000): most dossiers are finished.
STATUS_MIX = [(10, 550), (3, 30), (4, 150), (2, 60), (5, 40), (6, 20), (9, 60), (1, 50), (8, 20), (7, 20)]


def _status_case() -> str:
    parts, upper = [], 0
    for status, share in STATUS_MIX:
        upper += share
        parts.append(f"WHEN ((g / {AGENCIES}) * 7919) %% 1000 < {upper} THEN {status}")
    return "CASE " + " ".join(parts) + " ELSE 10 END"


def generate(count: int) -> tuple[list[int], float]:
    """Create the agencies, one procedure and ``count`` dossiers; return agency ids and seconds taken."""
    from django.db import connection, transaction

    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier
    from motcua.organisations.models import Agency

    start = time.perf_counter()
    agencies = []
    for n in range(1, AGENCIES + 1):
        agency, _ = Agency.objects.get_or_create(
            code=f"{PREFIX}{n:02d}",
            defaults={"name": f"Cơ quan thử tải {n}", "kind": Agency.Kind.COMMUNE_COMMITTEE, "level": Agency.Level.COMMUNE},
        )
        agencies.append(agency.pk)
    procedure, _ = Procedure.objects.get_or_create(code="BENCH.1", defaults={"name": "Thủ tục thử tải danh sách hồ sơ"})
    if Dossier.objects.filter(receiving_agency_id=agencies[0]).exists():
        return agencies, 0.0

    ids = "ARRAY[" + ",".join(map(str, agencies)) + "]"
    agency_expr = f"({ids})[(1 + g %% {AGENCIES})::int]"
    explicit = {
        "code": f"'BENCH-' || g",
        "procedure_id": str(procedure.pk),
        "status": _status_case(),
        "channel": "1 + (g %% 3)",
        "receiving_agency_id": agency_expr,
        "competent_agency_id": agency_expr,
        "current_agency_id": agency_expr,
        "applicant_name": "'Công dân ' || g",
        "applicant_identity": "lpad((g %% 1000000000)::text, 12, '0')",
        "applicant_phone": "'09' || lpad((g %% 100000000)::text, 8, '0')",
        "created_at": "now() - (g %% 400) * interval '1 day'",
        "updated_at": "now()",
        "submitted_at": "now() - (g %% 400) * interval '1 day'",
        "received_at": "now() - (g %% 400) * interval '1 day'",
        # Appointments spread from 60 days ago to 60 days ahead, pseudo-random per row.
        "appointment_at": "now() + (((g * 104729) %% 172800) - 86400) * interval '1 minute'",
        "form_data": "'{}'::jsonb",
    }
    columns, exprs, params = [], [], []
    for field in Dossier._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.name in explicit or field.attname in explicit:
            exprs.append(explicit.get(field.attname, explicit.get(field.name)))
        elif field.null:
            exprs.append("NULL")
        else:
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {Dossier._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM generate_series(1::bigint, {count}) AS g"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Dossier._meta.db_table}")
    return agencies, time.perf_counter() - start


def staff_session(agency_id: int) -> str:
    """A logged-in specialist of one agency; returns the session cookie header."""
    from django.conf import settings
    from django.test import Client

    from motcua.accounts.models import User
    from motcua.organisations.models import StaffRole

    user, created = User.objects.get_or_create(
        username="bench-inbox", defaults={"kind": User.Kind.STAFF, "full_name": "Cán bộ thử tải"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    StaffRole.objects.get_or_create(user=user, agency_id=agency_id, role="specialist")
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def in_process_request(cookie: str, url: str, n: int):
    """The page through Django's WSGI handler in this process (what granian calls, without HTTP):
    latency row, CPU ms per request (``time.process_time``) and SQL statements per request."""
    import io
    import sys

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    path, _, query = url.partition("?")
    handler = WSGIHandler()
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def call(i):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": cookie, "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        }
        status = []
        response = handler(environ, lambda s, h, e=None: status.append(s))
        b"".join(response)
        response.close()
        if not status[0].startswith("200"):
            raise RuntimeError(status[0])

    with connection.execute_wrapper(count):
        call(0)
    cpu = time.process_time()
    row = timed(f"inbox request in process (WSGI, {url.split('?')[-1] or 'default'})", call, n)
    row.extra.update(http=False, cpu_ms=round((time.process_time() - cpu) * 1000 / (n + min(20, n)), 2), queries=len(statements))
    return row


def main() -> None:
    os.environ.setdefault("DEBUG", "false")  # as the server runs (no query log, no debug pages)
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/inbox.py needs PostgreSQL (DATABASE_URL)")
    agencies, seconds = generate(COUNT)
    from motcua.dossiers.models import Dossier
    from motcua.office import views

    total = Dossier.objects.filter(code__startswith="BENCH-").count()
    cookie = staff_session(agencies[0])
    headers = {"Cookie": cookie}
    mine = Dossier.objects.filter(current_agency_id=agencies[0], status=4).count()

    # In process: the page read the view runs (one index-ordered read, prepared), then the whole request.
    rows = [timed("inbox page read (view's SQL, pages 1-5)", lambda i: views._inbox_page([agencies[0]], [4], 1 + i % 5), 500)]
    rows[0].extra["http"] = False
    rows.append(in_process_request(cookie, "/can-bo/ho-so/?trang-thai=4", 500))
    rows.append(in_process_request(cookie, "/can-bo/ho-so/", 300))
    pages = [("GET", f"/can-bo/ho-so/?trang-thai=4&trang={1 + i % 5}", None, headers) for i in range(REQUESTS)]
    first = [("GET", "/can-bo/ho-so/?trang-thai=4", None, headers)] * REQUESTS
    default = [("GET", "/can-bo/ho-so/", None, headers)] * (REQUESTS // 3)
    from submission import CpuMeter  # CPU of the granian workers, their PostgreSQL backends, the clients

    app_name = f"bench-inbox-{os.getpid()}"
    url = os.environ["DATABASE_URL"]
    url += ("&" if "?" in url else "?") + f"application_name={app_name}"
    with serve(extra_env={"DATABASE_URL": url}) as base:
        http_load("warm-up", base, first[:300] + default[:100], concurrency=4)
        meter = CpuMeter(int(base.rsplit(":", 1)[1]), app_name)
        meter.start()
        rows.append(http_load("inbox page 1 (50 rows, 1 agency, status 4)", base, first, concurrency=4))
        target = rows[-1]
        target.extra.update(meter.stop(target.n))
        rows.append(http_load("inbox pages 1-5 (offset, no COUNT)", base, pages, concurrency=4))
        rows.append(http_load("inbox default page (5 statuses merged)", base, default, concurrency=4))
        rows.append(http_load("inbox page 1, 1 connection", base, first[:1000], concurrency=1))
        if wrk_available():  # the same page with a C client: less of the two cores spent loading
            rows.append(wrk_load("inbox page 1 (4 clients)", base, ["/can-bo/ho-so/?trang-thai=4"], seconds=10, cookie=cookie))
    p95 = target.pct(95)
    report(
        "inbox",
        rows,
        note=f"{total:,} dossiers, {AGENCIES} agencies, {mine:,} in this inbox's status; "
        f"generated in {seconds:.0f} s; p95 page 1 {p95:.1f} ms (target <= 30 ms); in process "
        f"{rows[1].extra['cpu_ms']} ms CPU and {rows[1].extra['queries']} SQL statements per request "
        f"(default page {rows[2].extra['cpu_ms']} ms, {rows[2].extra['queries']}); over HTTP, CPU ms per page 1: "
        + ", ".join(f"{k[7:]} {v}" for k, v in target.extra.items() if k.startswith("cpu_ms_")),
    )


if __name__ == "__main__":
    main()
