"""Public tracking lookup by code, over HTTP: the page ``/tra-cuu?ma=CODE`` and the API
``/api/v1/dossiers/tracking/CODE`` (masked name, timeline). Target: >= 25% of the trivial-view ceiling.

Codes are drawn at random from the benchmark database (the 1,000,000 generated dossiers), some typed
in lower case; unknown codes answer 404. Lookups are rate limited per client address (20 a
minute), so the load reconnects from a new loopback address every 15 requests, like many citizens.
"""

from __future__ import annotations

import os
import random

from common import http_load, report, serve, setup_django, timed

N = int(os.environ.get("BENCH_TRACKING_REQUESTS", "6000"))
CODES = 2000
EVERY = 15


def sample_codes(k: int) -> list[str]:
    """k codes of submitted dossiers spread over the whole table (primary-key samples, no ORDER BY random())."""
    from django.db.models import Max, Min

    from motcua.dossiers.models import Dossier, Status

    bounds = Dossier.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    rng = random.Random(9)
    ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(k * 2)]
    codes = list(
        Dossier.objects.filter(pk__in=ids, code__isnull=False).exclude(status=Status.DRAFT).values_list("code", flat=True)
    )
    return codes[:k]


def server_cpu_seconds() -> float:
    """CPU seconds used so far by the granian processes this script started (Linux /proc): the
    app's cost per request, which the machine's other load changes much less than req/s."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"granian" not in f.read():
                    continue
        except OSError:
            continue
        total += (int(stats[pid][11]) + int(stats[pid][12])) / tick
    return total


def measured(operation: str, base: str, paths: list[str], **kwargs):
    before = server_cpu_seconds()
    row = http_load(operation, base, paths, concurrency=4, new_client_every=EVERY, **kwargs)
    row.extra["app_cpu_ms_per_request"] = round((server_cpu_seconds() - before) * 1000 / max(row.n, 1), 3)
    return row


def main() -> None:
    setup_django()
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.tracking import lookup

    codes = sample_codes(CODES)
    if len(codes) < 50:
        raise SystemExit("bench/tracking.py needs dossiers: run it through `make bench` (generates 1,000,000)")
    total = Dossier.objects.count()
    rng = random.Random(25)
    typed = [c.lower() if rng.random() < 0.2 else c for c in codes]

    def find(i):
        assert lookup(typed[i % len(typed)], results=True) is not None

    rows = [timed("lookup: one statement (in process)", find, 2000)]
    rows[0].extra["http"] = False
    page = [f"/tra-cuu?ma={typed[i % len(typed)]}" for i in range(N)]
    api = [f"/api/v1/dossiers/tracking/{typed[(i * 7) % len(typed)]}" for i in range(N)]
    missing = [f"/tra-cuu?ma=KHONG-CO-{i:08d}" for i in range(N // 3)]
    with serve() as base:
        http_load("warm-up", base, page[:500], concurrency=4, new_client_every=EVERY)
        rows.append(measured("tracking page /tra-cuu?ma=", base, page))
        rows.append(measured("tracking API /api/v1/dossiers/tracking/", base, api))
        rows.append(measured("unknown code (page, 404)", base, missing, ok_statuses=(404,)))
        rows.append(measured("trivial view (same server, for the CPU ratio)", base, ["/bench/trivial"] * N))
    from common import ceiling

    top = (ceiling() or {}).get("trivial_view_rps")
    ratio = f"{rows[1].throughput / top:.0%} of the ceiling" if top else "no ceiling measured"
    report("tracking", rows, note=f"{total:,} dossiers, {len(codes)} codes; page {ratio} (target >= 25%)")
    print("app CPU per request (granian processes): " + ", ".join(
        f"{row.operation.split(' /')[0].split(' (')[0]} {row.extra['app_cpu_ms_per_request']:.2f} ms" for row in rows[1:]))


if __name__ == "__main__":
    main()
