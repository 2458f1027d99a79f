"""Catalogue search at scale: >= 6,000 procedures, 1,000 varied queries (accents or not, upper case,
NFD, one typo, word prefixes), in process and over HTTP (API, page, suggestions).
Target: p95 <= 15 ms over HTTP.

Search runs on an in-process index checked against the catalogue version (catalog/search.py):
the first row times searches right after a catalogue change (each rebuilds the index); every other
pass generates its own queries (another seed; common phrases still recur, as in real traffic), so
that no pass replays the list an earlier pass cached prefix and phrase masks for; the "again" rows
repeat a pass (the steady state of popular queries).

Data: the national code list and the 610 national records from ../shared/data, then synthetic
variants ("… (thực hiện tại cấp tỉnh)", codes ``8.xxxxxx``) until there are BENCH_CATALOGUE_SIZE
procedures. Kept in the benchmark database between runs.
"""

from __future__ import annotations

import os
import random
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

from common import ROOT, http_load, report, serve, setup_django, timed, wrk_available, wrk_load

SIZE = int(os.environ.get("BENCH_CATALOGUE_SIZE", "6000"))
QUERIES = int(os.environ.get("BENCH_CATALOGUE_QUERIES", "1000"))
SHARED = Path(os.environ.get("MOTCUA_SHARED_DATA", ROOT.parent / "shared" / "data"))
SUFFIXES = ["(thực hiện tại cấp tỉnh)", "(thực hiện tại cấp xã)", "đối với tổ chức", "đối với cá nhân", "trường hợp đặc biệt"]


def ensure_data() -> int:
    from motcua.catalog.importers import import_codes, import_paths
    from motcua.catalog.models import Procedure

    if not Procedure.objects.filter(code="1.004222").exists():
        import_codes(SHARED / "national-codes")
        import_paths([SHARED / "national-procedures"], progress=False)
    missing = SIZE - Procedure.objects.count()
    if missing > 0:
        base = list(Procedure.objects.exclude(code__startswith="8.").select_related("field").order_by("code"))
        rows, n = [], Procedure.objects.filter(code__startswith="8.").count()
        while len(rows) < missing:
            src = base[n % len(base)]
            p = Procedure(
                code=f"8.{n:06d}",
                name=f"{src.name} {SUFFIXES[n // len(base) % len(SUFFIXES)]}"[:500],
                field=src.field,
                levels=src.levels,
                popularity=src.popularity // 10,
            )
            p.refresh_search_text()
            rows.append(p)
            n += 1
        Procedure.objects.bulk_create(rows, batch_size=1000)
    return Procedure.objects.count()


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rnd.randrange(len(word) - 1)
    kind = rnd.randrange(3)
    if kind == 0:  # swap
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double


def make_queries(n: int, seed: int = 20261122) -> list[str]:
    from motcua.catalog.models import Procedure
    from motcua.core.text import fold

    rnd = random.Random(seed)
    names = list(Procedure.objects.exclude(code__startswith="8.").order_by("-popularity").values_list("name", flat=True)[:1500])
    queries = []
    for i in range(n):
        words = rnd.choice(names).split()
        start = rnd.randrange(max(1, len(words) - 2))
        phrase = " ".join(words[start : start + rnd.randint(1, 4)])
        kind = i % 6
        if kind == 0:
            q = fold(phrase)  # no accents
        elif kind == 1:
            q = phrase.upper()
        elif kind == 2:
            q = unicodedata.normalize("NFD", phrase)
        elif kind == 3:
            q = " ".join(typo(w, rnd) if j == 0 else w for j, w in enumerate(fold(phrase).split()))
        elif kind == 4:
            q = phrase[: max(3, len(phrase) - rnd.randint(1, 3))]  # as typed, last word unfinished
        else:
            q = phrase
        queries.append(q)
    return queries


def backend_cpu_seconds() -> float | None:
    """CPU time used so far by this process's database server process (PostgreSQL on this
    machine), so that in-process figures show the whole cost of a search, not only Python's."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def timed_with_cpu(operation: str, func, n: int):
    """``timed`` plus the CPU milliseconds per call of this process and of its database backend."""
    for i in range(min(20, n)):
        func(i)
    cpu0, db0 = time.process_time(), backend_cpu_seconds()
    row = timed(operation, func, n, warmup=0)
    cpu1, db1 = time.process_time(), backend_cpu_seconds()
    row.extra["http"] = False
    row.extra["cpu_ms"] = round((cpu1 - cpu0) / n * 1000, 3)
    if db0 is not None and db1 is not None:
        row.extra["db_cpu_ms"] = round((db1 - db0) / n * 1000, 3)
    return row


def touch_catalogue() -> None:
    """A write to the catalogue that changes nothing visible (one procedure's popularity set to
    itself): the catalogue version changes, so every process rebuilds its search index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_procedure SET popularity = popularity WHERE id = (SELECT MIN(id) FROM catalog_procedure)")


def main() -> None:
    setup_django()
    from django.db import connection

    from motcua.catalog.search import search_index, search_procedures, suggest_procedures

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; figures are for", connection.vendor)
    total = ensure_data()
    # Each pass its own generated queries (other seeds), so that no pass replays a list whose
    # prefix and phrase masks an earlier pass cached; the "again" rows do, on purpose.
    queries, suggest_queries, http_queries, page_queries, suggest_http_queries, one_client_queries, warmup_queries = (
        make_queries(QUERIES, seed) for seed in (20261122, 20261126, 20261123, 20261127, 20261128, 20261124, 20261125)
    )

    def rebuild(i):
        touch_catalogue()
        search_procedures(queries[i])

    rows = [timed_with_cpu("search after a catalogue change (index rebuilt)", rebuild, 10)]
    touch_catalogue()
    search_index()  # built at the current version, caches empty
    rows += [
        timed_with_cpu("search_procedures (in process, with facets)", lambda i: search_procedures(queries[i % len(queries)]), len(queries)),
        timed_with_cpu("suggest_procedures (in process)", lambda i: suggest_procedures(suggest_queries[i % len(queries)]), len(queries)),
        timed_with_cpu("search_procedures again, same queries (in process)", lambda i: search_procedures(queries[i % len(queries)]), len(queries)),
    ]
    cpu_lines = [
        f"  {row.operation}: CPU per call {row.extra['cpu_ms']:.2f} ms in Python"
        + (f" + {row.extra['db_cpu_ms']:.2f} ms in the database backend" if "db_cpu_ms" in row.extra else "")
        for row in rows
    ]
    load_before = os.getloadavg()
    api = [f"/api/v1/procedures?{urlencode({'q': q})}" for q in http_queries]
    api_one = [f"/api/v1/procedures?{urlencode({'q': q})}" for q in one_client_queries]
    page = [f"/thu-tuc?{urlencode({'q': q})}" for q in page_queries]
    suggest = [f"/thu-tuc/goi-y?{urlencode({'q': q})}" for q in suggest_http_queries]
    warmup = [f"/api/v1/procedures?{urlencode({'q': q})}" for q in warmup_queries[:200]]
    warmup += [f"/thu-tuc/goi-y?{urlencode({'q': q})}" for q in warmup_queries[200:400]]
    warmup += [f"/thu-tuc?{urlencode({'q': q})}" for q in warmup_queries[400:500]]
    with serve() as base:
        http_load("warm-up (other queries)", base, warmup, concurrency=4)
        rows.append(http_load("GET /api/v1/procedures?q= (4 clients)", base, api, concurrency=4))
        rows.append(http_load("GET /thu-tuc?q= page (4 clients)", base, page, concurrency=4))
        rows.append(http_load("GET /thu-tuc/goi-y?q= htmx (4 clients)", base, suggest, concurrency=4))
        rows.append(http_load("GET /api/v1/procedures?q= (1 client)", base, api_one, concurrency=1))
        rows.append(http_load("GET /api/v1/procedures?q= again (4 clients)", base, api, concurrency=4))
        if wrk_available():  # the same passes with a C client: less of the two cores spent loading
            rows.append(wrk_load("GET /api/v1/procedures?q= (4 clients)", base, api, seconds=10))
            rows.append(wrk_load("GET /thu-tuc?q= page (4 clients)", base, page, seconds=10))
    report(
        "catalogue_search",
        rows,
        note=(
            f"{total:,} procedures, {len(queries)} queries per pass, {connection.vendor}; target p95 <= 15 ms over HTTP."
            " Each pass generates its own queries but the 'again' rows, which repeat a pass (warm mask caches);"
            " the 'catalogue change' row includes rebuilding the index"
        ),
    )
    print("\n".join(cpu_lines))
    print(f"  load average (1 min) before/after the HTTP runs: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
