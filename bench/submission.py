"""Online submissions over HTTP (API, Bearer tokens): create a draft, fill the e-form, upload two
200 KB PDFs, submit. All to one agency on one day, so every submit competes for the same code
counter row. Target: >= 150 submissions/s on the 2-core machine.

Rows: each step's latency per request, and "submission end to end", whose latency is the sum of
a submission's five requests and whose throughput is submissions / total wall time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid

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


def multipart(fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


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


def main() -> None:
    import json

    setup_django()
    from django.db import connection

    from motcua.dossiers.models import Dossier

    components, tokens = prepare()
    media = tempfile.mkdtemp(prefix="motcua-bench-media-")
    run = uuid.uuid4().hex[:8]
    headers = [{"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in tokens]
    try:
        with serve(extra_env={"MEDIA_ROOT": media}) as base:
            # 1. create the drafts (client_token lets us find them afterwards)
            creates = [
                ("POST", "/api/v1/dossiers/", json.dumps({"procedure_code": PROCEDURE, "client_token": f"{run}-{i}"}).encode(),
                 headers[i % USERS])
                for i in range(N)
            ]
            create_row = http_load("create draft (POST)", base, creates, concurrency=CONCURRENCY, ok_statuses=(201,))
            ids = dict(Dossier.objects.filter(client_token__startswith=f"{run}-").values_list("client_token", "pk"))
            connection.close()
            # 2. per draft: PATCH e-form, two uploads, submit; one worker runs one draft's steps in order
            per_worker: list[list] = [[] for _ in range(CONCURRENCY)]
            bodies = []
            for i in range(N):
                pk = ids[f"{run}-{i}"]
                h = headers[i % USERS]
                hb = {"Authorization": h["Authorization"]}
                steps = [("PATCH", f"/api/v1/dossiers/{pk}", json.dumps({"form_data": FORM}).encode(), h)]
                for c, component in enumerate(components):
                    body, ctype = multipart({"component_id": component}, f"giay-{c}.pdf", pdf(i * 10 + c))
                    bodies.append(len(body))
                    steps.append(("POST", f"/api/v1/dossiers/{pk}/attachments", body, {**hb, "Content-Type": ctype}))
                steps.append(("POST", f"/api/v1/dossiers/{pk}/submit", None, hb))
                per_worker[i % CONCURRENCY].extend(steps)
            reqs = interleave(per_worker, CONCURRENCY)
            start = time.perf_counter()
            flow = http_load("fill + 2 uploads + submit", base, reqs, concurrency=CONCURRENCY, ok_statuses=(200, 201))
            flow_seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(media, ignore_errors=True)

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
    submitted = Dossier.objects.filter(client_token__startswith=f"{run}-", status=1).count()
    codes = list(Dossier.objects.filter(client_token__startswith=f"{run}-", status=1).values_list("code", flat=True))
    total = Row(
        "submission end to end (5 requests)", end_to_end, create_row.seconds + flow_seconds,
        errors=create_row.errors + flow.errors + (N - submitted),
        extra={"submitted": submitted, "distinct_codes": len(set(codes)), "attachment_bytes": FILE_SIZE},
    )
    report("submission", [create_row, flow, patch, upload, submit, total],
           note=f"{N} submissions, {CONCURRENCY} clients, 2 × 200 KB each; {submitted} submitted, {len(set(codes))} distinct codes")


if __name__ == "__main__":
    main()
