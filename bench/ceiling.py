"""The ceiling: a trivial Django view (no database) and a trivial database read, served by the
same granian setup as every scenario. Other scenarios print their throughput as a ratio of it."""

import json

from common import CEILING_FILE, VAR_BENCH, http_load, report, serve, wrk_available, wrk_load

N = 20000


def main() -> None:
    with serve() as base:
        http_load("warm-up", base, ["/bench/trivial"] * 2000, concurrency=4)
        trivial = http_load("trivial view (no database)", base, ["/bench/trivial"] * N, concurrency=4)
        db = http_load("trivial database read", base, ["/bench/db"] * N, concurrency=4)
        rows = [trivial, db]
        figures = {"trivial_view_rps": trivial.throughput, "trivial_db_rps": db.throughput}
        if wrk_available():  # the same two with a C client, the reference of the scenarios' wrk rows
            rows += [wrk_load("trivial view (no database)", base, ["/bench/trivial"], seconds=10),
                     wrk_load("trivial database read", base, ["/bench/db"], seconds=10)]
            figures.update(trivial_view_wrk_rps=rows[2].throughput, trivial_db_wrk_rps=rows[3].throughput)
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    CEILING_FILE.write_text(json.dumps(figures))
    report("ceiling", rows)


if __name__ == "__main__":
    main()
