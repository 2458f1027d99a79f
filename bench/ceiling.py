"""The ceiling: a trivial Django view (no database) and a trivial database read, served by the
same granian setup as every scenario. Other scenarios print their throughput as a ratio of it."""

import json

from common import CEILING_FILE, VAR_BENCH, http_load, report, serve

N = 20000


def main() -> None:
    with serve() as base:
        http_load("warm-up", base, ["/bench/trivial"] * 2000, concurrency=4)
        trivial = http_load("trivial view (no database)", base, ["/bench/trivial"] * N, concurrency=4)
        db = http_load("trivial database read", base, ["/bench/db"] * N, concurrency=4)
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    CEILING_FILE.write_text(json.dumps({"trivial_view_rps": trivial.throughput, "trivial_db_rps": db.throughput}))
    report("ceiling", [trivial, db])


if __name__ == "__main__":
    main()
