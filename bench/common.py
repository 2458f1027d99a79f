"""Shared harness of the benchmarks: serve with granian, load over HTTP, time in process, report.

Every scenario prints the same table (operation, N, throughput, p50, p95, p99, errors) and the
throughput as a ratio of the ceiling (a trivial Django view served by the same granian setup,
measured by ``bench/ceiling.py`` in the same ``make bench`` run), and appends JSON lines to
``var/bench/<scenario>.jsonl``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence
from urllib.parse import urlsplit

# bench/statistics.py (a scenario) would shadow the standard library's module for anything that
# imports it later (Django's SQLite functions, locust…): load the real one first.
if "statistics" not in sys.modules:
    _here = str(Path(__file__).resolve().parent)
    _saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _here]
    try:
        import statistics  # noqa: F401
    finally:
        sys.path[:] = _saved

ROOT = Path(__file__).resolve().parents[1]
VAR_BENCH = ROOT / "var" / "bench"
CEILING_FILE = VAR_BENCH / "ceiling.json"
VENV_BIN = ROOT / ".venv" / "bin"


def setup_django() -> None:
    """Configure Django in this process (for data generation and in-process timings)."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    os.environ.setdefault("MOTCUA_ENV", "development")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.setdefault("MOTCUA_ENV", "development")
    env["DEBUG"] = "false"
    env["BENCH_ENDPOINTS"] = "true"
    env["LOG_LEVEL"] = "WARNING"
    env.update(extra or {})
    return env


@contextlib.contextmanager
def serve(workers: int | None = None, threads: int | None = None, extra_env: dict | None = None):
    """Start granian (WSGI) on a free loopback port; yield its base URL; stop it afterwards.

    Threads per worker are bounded so persistent connections never exceed PostgreSQL's limit.
    Two per worker: with four, the threads of a worker fight for the GIL and every figure gets
    worse (measured on 2 cores, 4 clients: trivial view 3,680 -> 3,710 req/s, tracking page 629 ->
    868 req/s and p95 11.8 -> 8.9 ms, catalogue page p95 9.9 -> 6.1 ms); one per worker is faster
    still for reads but leaves a worker idle while a request waits on a row lock.
    """
    # BENCH_WORKERS / BENCH_THREADS: try another granian setup without editing the scenarios.
    workers = workers or int(os.environ.get("BENCH_WORKERS", "2"))
    threads = threads or int(os.environ.get("BENCH_THREADS", "2"))
    port = free_port()
    cmd = [
        str(VENV_BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "--log-level", "warning",
        "--no-ws", "motcua.wsgi:application",
    ]
    proc = subprocess.Popen(cmd, env=server_env(extra_env), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("granian did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Row:
    operation: str
    latencies: list[float]
    seconds: float
    errors: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        k = min(len(data) - 1, max(0, int(round(p / 100 * len(data) + 0.5)) - 1))
        return data[k] * 1000

    def as_dict(self) -> dict:
        return {
            "operation": self.operation, "n": self.n, "throughput": round(self.throughput, 1),
            "p50_ms": round(self.pct(50), 2), "p95_ms": round(self.pct(95), 2), "p99_ms": round(self.pct(99), 2),
            "errors": self.errors, **self.extra,
        }


def timed(operation: str, func: Callable[[int], object], n: int, warmup: int = 20) -> Row:
    """Call ``func(i)`` n times in this process, one at a time; latency of each call."""
    for i in range(min(warmup, n)):
        func(i)
    lat, errors = [], 0
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        try:
            func(i)
        except Exception:
            errors += 1
        lat.append(time.perf_counter() - t0)
    return Row(operation, lat, time.perf_counter() - start, errors)


Request = tuple  # (method, path, body: bytes|None, headers: dict|None)


def _as_request(item) -> Request:
    if isinstance(item, str):
        return ("GET", item, None, {})
    method, path, *rest = item
    body = rest[0] if rest else None
    headers = rest[1] if len(rest) > 1 else {}
    return (method, path, body, headers or {})


_SOURCE_NET = [int.from_bytes(os.urandom(1), "big") % 200 + 20]


def source_address(net: int, index: int) -> tuple[str, int]:
    """The index-th loopback client address of a load (127.<net>.x.y): Linux routes all of 127/8
    to the loopback interface, so a client may bind any of them."""
    return (f"127.{net}.{index // 250 % 250}.{index % 250 + 1}", 0)


def _worker(args):
    base, requests, ok_statuses, seconds_limit, rotate = args[:5]
    parts = urlsplit(base)
    net, worker, concurrency = args[5] if len(args) > 5 else (0, 0, 1)
    used = 0

    def connect(n: int):
        if not rotate:
            return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        return http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=30, source_address=source_address(net, n * concurrency + worker)
        )

    conn = connect(0)
    lat, errors, first_error = [], 0, None
    start = time.perf_counter()
    for k, (method, path, body, headers) in enumerate(requests):
        if seconds_limit and time.perf_counter() - start > seconds_limit:
            break
        if rotate and k and k % rotate == 0:  # a new client: new connection from a new address
            conn.close()
            used += 1
            conn = connect(used)
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status not in ok_statuses:
                errors += 1
                first_error = first_error or f"{resp.status} {method} {path}"
        except Exception as exc:  # count, reconnect, go on
            errors += 1
            first_error = first_error or repr(exc)
            conn.close()
            used += 1
            conn = connect(used)
        lat.append(time.perf_counter() - t0)
    return lat, errors, first_error


def http_load(
    operation: str,
    base: str,
    requests: Sequence,
    concurrency: int = 4,
    ok_statuses: Iterable[int] = (200,),
    seconds_limit: float | None = None,
    new_client_every: int | None = None,
) -> Row:
    """Send ``requests`` (paths or (method, path, body, headers) tuples) over ``concurrency``
    keep-alive connections, one client process each (no GIL contention in the client).

    ``new_client_every``: after that many requests a worker reconnects from another loopback
    address, as many distinct clients would (per-address rate limits stay out of the way).
    """
    reqs = [_as_request(r) for r in requests]
    shares = [reqs[i::concurrency] for i in range(concurrency)]
    ok = tuple(ok_statuses)
    ctx = mp.get_context("fork")
    net = _SOURCE_NET[0] = 20 + (_SOURCE_NET[0] - 19) % 230  # each load its own addresses
    with ctx.Pool(concurrency) as pool:
        start = time.perf_counter()
        results = pool.map(
            _worker,
            [(base, share, ok, seconds_limit, new_client_every, (net, w, concurrency)) for w, share in enumerate(shares)],
        )
        seconds = time.perf_counter() - start
    lat = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    first = next((r[2] for r in results if r[2]), None)
    row = Row(operation, lat, seconds, errors)
    if first:
        row.extra["first_error"] = first
    return row


_WRK_SCRIPT = r"""
-- Cycles through the request paths listed in a file (one per line), each thread from its own
-- offset; prints one JSON line with wrk's own latency percentiles (microseconds).
local paths, counter = {}, 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  counter = tonumber(args[2] or "0") * 7919
  if args[3] and args[3] ~= "" then wrk.headers["Cookie"] = args[3] end
end
local thread_id = 0
function setup(thread)
  thread:set("id", thread_id); thread_id = thread_id + 1
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter + (id or 0) * 7919) % #paths + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRKJSON {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "socket_errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


class _WrkRow(Row):
    """A Row whose percentiles come from wrk's histogram rather than from a list of latencies."""

    def __init__(self, operation, n, seconds, errors, p50, p95, p99, extra):
        super().__init__(operation, [], seconds, errors, extra)
        self._n, self._pcts = n, {50: p50, 95: p95, 99: p99}

    @property
    def n(self) -> int:
        return self._n

    def pct(self, p: float) -> float:
        return self._pcts[p]


def wrk_available() -> bool:
    import shutil

    return shutil.which("wrk") is not None


def wrk_load(operation: str, base: str, paths: Sequence[str], *, concurrency: int = 4, seconds: int = 15,
             cookie: str = "") -> Row:
    """GET ``paths`` in turn over ``concurrency`` keep-alive connections for ``seconds`` with wrk
    (a C load generator, Debian package ``wrk``): the same closed loop as :func:`http_load`, but
    the client takes far less of the two cores, so the figures are closer to what the service
    does when its clients are elsewhere. Non-2xx/3xx answers count as errors."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp) / "paths.lua", Path(tmp) / "paths.txt"
        script.write_text(_WRK_SCRIPT)
        listing.write_text("\n".join(paths) + "\n")
        cmd = ["wrk", "-t", str(min(2, concurrency)), "-c", str(concurrency), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(script), base, "--", str(listing), "0", cookie]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON "):])
    errors = data["socket_errors"] + data["status_errors"]
    return _WrkRow(f"{operation} [wrk]", data["requests"], data["duration_us"] / 1e6, errors,
                   data["p50"] / 1000, data["p95"] / 1000, data["p99"] / 1000,
                   {"client": "wrk", "concurrency": concurrency})


def ceiling() -> dict | None:
    try:
        return json.loads(CEILING_FILE.read_text())
    except (OSError, ValueError):
        return None


def report(scenario: str, rows: list[Row], note: str = "") -> None:
    """Print the uniform table and append JSON lines to var/bench/<scenario>.jsonl."""
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    top = ceiling()
    top_rps = top.get("trivial_view_rps") if top else None
    print()
    print(f"## {scenario}" + (f"  ({note})" if note else ""))
    header = f"{'operation':44s} {'N':>7s} {'req/s':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>6s} {'÷ceiling':>9s}"
    print(header)
    print("-" * len(header))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(VAR_BENCH / f"{scenario}.jsonl", "a", encoding="utf-8") as out:
        for row in rows:
            d = row.as_dict()
            # Like with like: a wrk row against the ceiling measured with wrk.
            base_rps = top.get("trivial_view_wrk_rps") if top and row.extra.get("client") == "wrk" else top_rps
            ratio = f"{row.throughput / base_rps:8.1%}" if base_rps and row.extra.get("http", True) else "        -"
            print(
                f"{row.operation[:44]:44s} {d['n']:7d} {d['throughput']:9.1f} {d['p50_ms']:8.2f} "
                f"{d['p95_ms']:8.2f} {d['p99_ms']:8.2f} {d['errors']:6d} {ratio:>9s}"
            )
            if "first_error" in d:
                print(f"    first error: {d['first_error']}")
            out.write(json.dumps({"scenario": scenario, "at": stamp, "ceiling_rps": base_rps, **d}) + "\n")
    sys.stdout.flush()
