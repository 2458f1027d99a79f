"""Mixed load test of the whole service: locust (bench/locustfile.py) against granian + PostgreSQL
for a fixed time (BENCH_MIXED_SECONDS, default 60 s) with BENCH_MIXED_USERS clients (default 16):
70% tracking lookups and catalogue pages, 20% submissions with attachments (API, Bearer tokens),
10% staff actions (session log-in, inboxes, accepting what the load submitted).

Reports throughput, p50/p95/p99 per kind of request and overall, and the error count, which must
be 0 (the run fails otherwise).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time

from common import ROOT, VENV_BIN, Row, report, serve, setup_django

SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "60"))
USERS = int(os.environ.get("BENCH_MIXED_USERS", "16"))
STAFF_USER = "bench-mixed-desk"
STAFF_PASSWORD = "Bench-Mixed-2026!"
QUERIES = ["khai sinh", "dang ky ket hon", "cấp giấy phép xây dựng", "CHỨNG THỰC", "đất đai", "hộ kinh doanh",
           "giay phep lai xe", "trich luc", "thành lập doanh nghiệp", "cu tru", "xác nhận tình trạng hôn nhân",
           "đăng ký thường trú", "cap lai", "ho tich", "giấy chứng nhận quyền sử dụng đất"]


def plan() -> dict:
    """Tokens, a staff account, codes to look up, procedures and queries for the locustfile."""
    from django.db.models import Count

    from motcua.accounts.models import User
    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier
    from motcua.organisations.models import Agency, StaffRole
    from submission import AGENCY, FORM, PROCEDURE, prepare
    from tracking import sample_codes

    components, tokens = prepare()
    agency = Agency.objects.get(code=AGENCY)
    staff, _ = User.objects.get_or_create(username=STAFF_USER, defaults={"kind": User.Kind.STAFF, "full_name": "Cán bộ một cửa thử tải"})
    staff.set_password(STAFF_PASSWORD)
    staff.is_active = True
    staff.save()
    for role in ("reception", "specialist"):
        StaffRole.objects.get_or_create(user=staff, agency=agency, role=role)
    # The work inbox of a busy agency of the generated dossiers, too.
    busiest = (
        Dossier.objects.filter(status=4, code__isnull=False).exclude(current_agency=None)
        .values("current_agency").annotate(n=Count("id")).order_by("-n").first()
        if Dossier.objects.filter(status=4).exists() else None
    )
    if busiest:
        StaffRole.objects.get_or_create(user=staff, agency_id=busiest["current_agency"], role="specialist")
    codes = sample_codes(2000)
    if len(codes) < 50:
        raise SystemExit("bench/mixed_load.py needs dossiers: run it through `make bench` (generates 1,000,000)")
    procedures = list(Procedure.objects.filter(is_active=True).order_by("?").values_list("code", flat=True)[:500])
    procedures = [p for p in procedures if "/" not in p] or [PROCEDURE]
    return {
        "tokens": tokens, "components": components, "form": FORM, "submit_procedure": PROCEDURE,
        "staff_user": STAFF_USER, "staff_password": STAFF_PASSWORD, "codes": codes, "procedures": procedures,
        "queries": QUERIES, "file_size": 100 * 1024,
    }


KINDS = [("public", "public:"), ("submission", "submit:"), ("staff", "staff:")]


def main() -> None:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/mixed_load.py needs PostgreSQL (DATABASE_URL)")
    data = plan()
    connection.close()
    work = tempfile.mkdtemp(prefix="motcua-bench-mixed-")
    plan_file, out_file = os.path.join(work, "plan.json"), os.path.join(work, "samples.json")
    with open(plan_file, "w", encoding="utf-8") as f:
        json.dump(data, f)
    media = os.path.join(work, "media")
    with serve(workers=2, threads=8, extra_env={"MEDIA_ROOT": media}) as base:
        env = dict(os.environ, BENCH_MIXED_PLAN=plan_file, BENCH_MIXED_OUT=out_file)
        cmd = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base,
               "-u", str(USERS), "-r", str(USERS), "--run-time", f"{SECONDS}s", "--stop-timeout", "10",
               "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if not os.path.exists(out_file):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit("locust wrote no samples")
    samples = json.load(open(out_file, encoding="utf-8"))
    seconds = min(seconds, SECONDS + 10)

    def row(title: str, chosen: list) -> Row:
        r = Row(title, [s[1] / 1000 for s in chosen], seconds, errors=sum(1 for s in chosen if s[2]))
        first = next((f"{s[0]}: {s[2]}" for s in chosen if s[2]), None)
        if first:
            r.extra["first_error"] = first
        return r

    rows = [row(f"all requests ({USERS} clients, {SECONDS} s)", samples)]
    shares = {}
    for kind, prefix in KINDS:
        chosen = [s for s in samples if s[0].startswith(prefix)]
        shares[kind] = len(chosen) / max(1, len(samples))
        rows.append(row(f"{kind} ({shares[kind]:.0%} of requests)", chosen))
    for name in sorted({s[0] for s in samples}):
        rows.append(row(f"  {name}", [s for s in samples if s[0] == name]))
    errors = rows[0].errors
    report("mixed_load", rows, note=f"locust, {USERS} clients, {SECONDS} s; errors {errors} (target 0)")
    if errors:
        sys.stderr.write(done.stderr[-2000:])
        raise SystemExit(f"{errors} errors under mixed load")


if __name__ == "__main__":
    main()
