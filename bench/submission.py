"""Online submissions over HTTP (API, Bearer tokens), all to one agency on one day, so every
submit competes for the same code counter row. Target: >= 150 submissions/s on the 2-core machine.

Two ways, each reported on its own rows:

1. ``submission in ONE API request``: POST /api/v1/dossiers/submissions, one multipart request
   with the applicant data, the e-form answers, two 200 KB PDFs (one per required component)
   and the submit (kiosks, integrating systems). Everything a submission does happens in it:
   files stored under their SHA-256, required components enforced, code allocated, status 1,
   event, notice queued; the script checks all of these in the database afterwards.
2. the multi-request flow (create a draft, PATCH the e-form, upload two 200 KB PDFs, submit:
   five requests, as the citizen's pages do it step by step); "end to end" is the sum of a
   submission's five latencies, its throughput submissions / total wall time.

``BENCH_SUBMISSION_FLOWS=one,steps`` (default both) chooses which run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from common import Row, http_load, report, serve, setup_django

CONCURRENCY = int(os.environ.get("BENCH_SUBMISSION_CONCURRENCY", "8"))
N = max(1, int(os.environ.get("BENCH_SUBMISSIONS", "600")) // CONCURRENCY) * CONCURRENCY  # equal shares: no padding
USERS = 8
FILE_SIZE = 200 * 1024
PROCEDURE = "BENCH.SUB.1"
AGENCY = "BENCH.SUB.AGENCY"
FORM = {"child_name": "NGUYỄN VĂN THỬ", "child_birth_date": "2026-10-01", "child_sex": "Nam",
        "birth_place": "Bệnh viện thử tải", "mother_name": "Trần Thị Thử"}


def prepare():
    """An agency, a procedure with e-form, two required components, and USERS citizens with tokens."""
    from motcua.accounts.models import User
    from motcua.accounts.services import create_api_token
    from motcua.catalog.models import DocumentComponent, EForm, OnlineService, Procedure
    from motcua.organisations.models import Agency

    agency, _ = Agency.objects.get_or_create(
        code=AGENCY, defaults={"name": "Điểm tiếp nhận thử tải", "kind": "commune_committee", "level": "commune",
                               "is_service_point": True},
    )
    procedure, created = Procedure.objects.get_or_create(code=PROCEDURE, defaults={"name": "Đăng ký khai sinh (thử tải)"})
    if created:
        props = {k: {"type": "string", "title": k, "maxLength": 200} for k in FORM}
        props["child_birth_date"]["format"] = "date"
        eform = EForm.objects.create(code="BENCH-TK", name="Tờ khai thử tải",
                                     schema={"type": "object", "properties": props, "required": list(FORM)}, ui={})
        DocumentComponent.objects.create(procedure=procedure, name="Giấy chứng sinh", required=True, order=1)
        DocumentComponent.objects.create(procedure=procedure, name="Giấy tờ tùy thân", required=True, order=2)
        OnlineService.objects.create(procedure=procedure, agency=agency, service_level="full", eform=eform)
    components = list(procedure.components.order_by("order").values_list("pk", flat=True))
    tokens = []
    for i in range(USERS):
        user, _ = User.objects.get_or_create(
            username=f"bench-sub-{i}",
            defaults={"full_name": f"Người thử tải {i}", "phone": f"0912{i:06d}", "identity_number": "001099012345"},
        )
        if not user.contact_confirmed:  # submitting needs a confirmed phone or e-mail
            user.contact_confirmed = True
            user.save(update_fields=["contact_confirmed"])
        tokens.append(create_api_token(user, "bench")[1])
    return components, tokens


def multipart(fields: dict, file_name: str = "", content: bytes = b"", files: dict | None = None) -> tuple[bytes, str]:
    """A multipart body: ``fields`` as text parts; one ``file`` part (``file_name``/``content``)
    or ``files``: {field name: (file name, content)}."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    if files is None:
        files = {"file": (file_name, content)}
    for key, (name, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode() + data + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


_BODIES: dict[int, bytes] = {}


def _body(key: int) -> bytes:
    return _BODIES[key]


class Prebuilt(bytes):
    """A request body built before the timed load; the client processes (forked after it was
    built) find it in memory instead of receiving 400 KB through a pipe per request."""

    def __reduce__(self):
        return (_body, (id(self),))


def prebuilt(data: bytes) -> bytes:
    body = Prebuilt(data)
    _BODIES[id(body)] = body
    return body


def pdf(seed: int) -> bytes:
    body = os.urandom(FILE_SIZE - 32)
    return b"%PDF-1.4\n%" + str(seed).encode().ljust(10, b" ") + b"\n" + body + b"\n%%EOF\n"


def interleave(per_worker: list[list], concurrency: int) -> list:
    """http_load gives worker w the items w, w+c, w+2c…: lay the lists out so each worker runs its own in order."""
    longest = max(len(x) for x in per_worker)
    out = []
    for k in range(longest):
        for w in range(concurrency):
            out.append(per_worker[w][k] if k < len(per_worker[w]) else ("GET", "/healthz", None, {}))
    return out


# --- where the CPU goes: server (granian workers), PostgreSQL backends serving them, clients


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, or None if it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(port: int) -> set[int]:
    """granian listening on ``port`` and its worker processes."""
    roots, parents = set(), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        st = _stat(int(entry))
        if st:
            parents[int(entry)] = st[0]
        if any(b"granian" in c for c in cmd[:2]) and str(port).encode() in cmd:
            roots.add(int(entry))
    return roots | {pid for pid, ppid in parents.items() if ppid in roots}


def _db_pids(app_name: str) -> set[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name])
        pids = {r[0] for r in cursor.fetchall()}
    connection.close()
    return pids


class CpuMeter:
    """CPU seconds spent by the server processes, their PostgreSQL backends (this run's
    application_name) and the client processes (reaped children) between start() and stop().
    Backends that end in between are missed (connections are kept for DB_CONN_MAX_AGE)."""

    def __init__(self, port: int, app_name: str):
        self.port, self.app_name = port, app_name

    def _sample(self) -> dict[str, dict[int, float]]:
        import resource

        out = {"server": {}, "postgres": {}}
        for name, pids in (("server", _server_pids(self.port)), ("postgres", _db_pids(self.app_name))):
            for pid in pids:
                st = _stat(pid)
                if st:
                    out[name][pid] = st[1]
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["clients"] = {0: ru.ru_utime + ru.ru_stime}
        return out

    def start(self) -> None:
        self.before = self._sample()

    def stop(self, n: int) -> dict:
        after = self._sample()
        per = {}
        for name in after:
            per[name] = sum(v - self.before[name].get(pid, 0.0) for pid, v in after[name].items())
        return {f"cpu_ms_{k}": round(v * 1000 / n, 2) for k, v in per.items()} | {
            "cpu_ms_total": round(sum(per.values()) * 1000 / n, 2)}


def _files_on_disk(media: str) -> int:
    return sum(1 for p in Path(media).rglob("*") if p.is_file() and p.stat().st_size > FILE_SIZE - 64)


def run_one_request(base: str, components: list[int], tokens: list[str], run: str, media: str, meter) -> list[Row]:
    """N complete submissions, one multipart request each; then checks that each did everything."""
    import json

    from django.db import connection

    from motcua.dossiers.models import Attachment, Dossier, DossierEvent

    def requests(prefix: str, n: int) -> list:
        reqs = []
        for i in range(n):
            data = json.dumps({"procedure_code": PROCEDURE, "client_token": f"{prefix}{i}", "form_data": FORM})
            files = {f"component_{c}": (f"giay-{k}.pdf", pdf(i * 10 + k)) for k, c in enumerate(components)}
            body, ctype = multipart({"data": data}, files=files)
            reqs.append(("POST", "/api/v1/dossiers/submissions", prebuilt(body),
                         {"Authorization": f"Bearer {tokens[i % USERS]}", "Content-Type": ctype}))
        return reqs

    # Warm-up (not counted): each server thread imports, connects and fills its caches once.
    http_load("warm-up", base, requests(f"{run}-warm-", 4 * CONCURRENCY), concurrency=CONCURRENCY, ok_statuses=(201,))
    reqs = requests(f"{run}-one-", N)
    on_disk = _files_on_disk(media)
    meter.start()
    row = http_load("submission in ONE API request (2×200 KB)", base, reqs, concurrency=CONCURRENCY, ok_statuses=(201,))
    row.extra.update(meter.stop(N))
    _BODIES.clear()
    on_disk = _files_on_disk(media) - on_disk
    mine = Dossier.objects.filter(client_token__startswith=f"{run}-one-")
    submitted = mine.filter(status=1, code__isnull=False, procedure_version__isnull=False)
    codes = set(submitted.values_list("code", flat=True))
    files = Attachment.objects.filter(dossier__in=mine, size__gt=FILE_SIZE - 64, sha256__regex=r"^[0-9a-f]{64}$")
    events = DossierEvent.objects.filter(dossier__in=mine, action="submit", to_status=1)
    queued = _outbox_rows(f"{run}-one-")
    connection.close()
    n_submitted, n_files, n_events = submitted.count(), files.count(), events.count()
    row.errors += N - min(n_submitted, n_events, len(codes), n_files // len(components), on_disk // len(components), queued)
    row.extra.update(submitted=n_submitted, distinct_codes=len(codes), attachment_rows=n_files, files_on_disk=on_disk,
                     submit_events=n_events, notices_queued=queued, requests_per_submission=1)
    return [row]


def _outbox_rows(prefix: str) -> int:
    """Submitted dossiers of the run with a notice queued (its subject names the code and status)."""
    from motcua.dossiers.models import Dossier, Status
    from motcua.integrations.models import OutboxMessage

    codes = Dossier.objects.filter(client_token__startswith=prefix, status=1).values_list("code", flat=True)
    subjects = [f"Hồ sơ {c}: {Status.SUBMITTED.label}" for c in codes]
    return OutboxMessage.objects.filter(subject__in=subjects).values("subject").distinct().count()


def run_steps(base: str, components: list[int], tokens: list[str], run: str, meter) -> list[Row]:
    """The five-request flow: create, PATCH, two uploads, submit."""
    import json

    from django.db import connection

    from motcua.dossiers.models import Dossier

    headers = [{"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in tokens]
    # 1. create the drafts (client_token lets us find them afterwards)
    creates = [
        ("POST", "/api/v1/dossiers/", json.dumps({"procedure_code": PROCEDURE, "client_token": f"{run}-steps-{i}"}).encode(),
         headers[i % USERS])
        for i in range(N)
    ]
    meter.start()
    create_row = http_load("create draft (POST)", base, creates, concurrency=CONCURRENCY, ok_statuses=(201,))
    cpu_create = meter.stop(N)
    ids = dict(Dossier.objects.filter(client_token__startswith=f"{run}-steps-").values_list("client_token", "pk"))
    connection.close()
    # 2. per draft: PATCH e-form, two uploads, submit; one worker runs one draft's steps in order
    per_worker: list[list] = [[] for _ in range(CONCURRENCY)]
    for i in range(N):
        pk = ids[f"{run}-steps-{i}"]
        h = headers[i % USERS]
        hb = {"Authorization": h["Authorization"]}
        steps = [("PATCH", f"/api/v1/dossiers/{pk}", json.dumps({"form_data": FORM}).encode(), h)]
        for c, component in enumerate(components):
            body, ctype = multipart({"component_id": component}, f"giay-{c}.pdf", pdf(i * 10 + c))
            steps.append(("POST", f"/api/v1/dossiers/{pk}/attachments", prebuilt(body), {**hb, "Content-Type": ctype}))
        steps.append(("POST", f"/api/v1/dossiers/{pk}/submit", None, hb))
        per_worker[i % CONCURRENCY].extend(steps)
    reqs = interleave(per_worker, CONCURRENCY)
    meter.start()
    start = time.perf_counter()
    flow = http_load("fill + 2 uploads + submit", base, reqs, concurrency=CONCURRENCY, ok_statuses=(200, 201))
    flow_seconds = time.perf_counter() - start
    cpu_flow = meter.stop(N)
    _BODIES.clear()

    # Latencies come back worker by worker, in order: chunks of four are one draft's steps.
    lat = flow.latencies
    steps = 2 + len(components)
    chunks = [lat[k:k + steps] for k in range(0, len(lat) - len(lat) % steps, steps)]
    patch = Row("  PATCH e-form data", [c[0] for c in chunks], flow.seconds)
    upload = Row("  upload 200 KB attachment", [x for c in chunks for x in c[1:-1]], flow.seconds)
    submit = Row("  submit (code + status 1)", [c[-1] for c in chunks], flow.seconds)
    # Both loads list latencies worker by worker, each worker handling drafts w, w+c, w+2c… in
    # order, so the j-th create and the j-th chunk belong to the same submission.
    end_to_end = [sum(c) + create_row.latencies[j] for j, c in enumerate(chunks) if j < len(create_row.latencies)]
    mine = Dossier.objects.filter(client_token__in=list(ids))
    submitted = mine.filter(status=1).count()
    codes = list(mine.filter(status=1).values_list("code", flat=True))
    total = Row(
        "submission in 5 requests, end to end", end_to_end, create_row.seconds + flow_seconds,
        errors=create_row.errors + flow.errors + (N - submitted),
        extra={"submitted": submitted, "distinct_codes": len(set(codes)), "attachment_bytes": FILE_SIZE,
               "requests_per_submission": 5, **{k: round(cpu_create[k] + cpu_flow[k], 2) for k in cpu_flow}},
    )
    return [create_row, flow, patch, upload, submit, total]


def main() -> None:
    setup_django()
    flows = os.environ.get("BENCH_SUBMISSION_FLOWS", "one,steps").split(",")
    components, tokens = prepare()
    media = tempfile.mkdtemp(prefix="motcua-bench-media-")
    run = uuid.uuid4().hex[:8]
    rows: list[Row] = []
    app_name = f"bench-submission-{run}"
    url = os.environ["DATABASE_URL"]
    url += ("&" if "?" in url else "?") + f"application_name={app_name}"
    try:
        with serve(extra_env={"MEDIA_ROOT": media, "DATABASE_URL": url}) as base:
            meter = CpuMeter(int(base.rsplit(":", 1)[1].strip("/")), app_name)
            if "one" in flows:
                rows += run_one_request(base, components, tokens, run, media, meter)
            if "steps" in flows:
                rows += run_steps(base, components, tokens, run, meter)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    report("submission", rows, note=f"{N} submissions per flow, {CONCURRENCY} clients, 2 × 200 KB each; "
           + "; ".join(f"{r.operation.strip()}: {r.extra['submitted']} submitted, {r.extra['distinct_codes']} codes"
                       for r in rows if "submitted" in r.extra))
    for r in rows:
        if "cpu_ms_total" in r.extra:
            print(f"CPU per submission, {r.operation.strip()}: " + ", ".join(
                f"{k.removeprefix('cpu_ms_')} {v:.1f} ms" for k, v in r.extra.items() if k.startswith("cpu_ms_")))


if __name__ == "__main__":
    main()
