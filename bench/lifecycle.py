"""Full life cycles through the real services, in process on PostgreSQL: submit (draft, applicant
data, one attachment, code), accept (appointment, workflow start), claim and forward by the
specialist, payment requested, paid by a signed VNPAY simulator IPN (``handle_callback``), approval
by the leader (workflow ``complete``), return of the result at the desk. Target: >= 50 cycles/s.

BENCH_LIFECYCLES cycles run in BENCH_LIFECYCLE_PROCESSES forked processes (each its own database
connection), all at one agency, so every submit competes for the same code counter row. Each step
is its own row; "full life cycle" is cycles / wall time. Every dossier must end returned (status
10) with its payment paid, or the run fails.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
import time
from urllib.parse import parse_qsl, urlsplit

MEDIA = tempfile.mkdtemp(prefix="motcua-bench-lifecycle-")
os.environ["MEDIA_ROOT"] = MEDIA

from common import Row, report, setup_django  # noqa: E402

N = int(os.environ.get("BENCH_LIFECYCLES", "1200"))
PROCESSES = int(os.environ.get("BENCH_LIFECYCLE_PROCESSES", "4"))
AGENCY = "BENCH.LIFE.AGENCY"
PROCEDURE = "BENCH.LIFE.1"
FEE = 50000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEPS = ["submit", "accept", "claim + forward", "request payment", "pay (signed IPN)", "approve", "return result"]


def prepare() -> dict:
    """The agency, a procedure (online, 3 working days, one required component) and the people."""
    from motcua.accounts.models import User
    from motcua.catalog.models import Channel, DocumentComponent, DurationUnit, OnlineService, Procedure, ProcedureChannel
    from motcua.organisations.models import Agency, StaffRole

    agency, _ = Agency.objects.get_or_create(
        code=AGENCY, defaults={"name": "UBND xã thử tải vòng đời", "kind": "commune_committee", "level": "commune",
                               "is_service_point": True},
    )
    procedure, created = Procedure.objects.get_or_create(code=PROCEDURE, defaults={"name": "Cấp bản sao trích lục (thử tải)"})
    if created:
        ProcedureChannel.objects.create(procedure=procedure, channel=Channel.ONLINE, duration_value=3,
                                        duration_unit=DurationUnit.WORKING_DAYS)
        DocumentComponent.objects.create(procedure=procedure, name="Tờ khai", required=True, order=1)
        OnlineService.objects.create(procedure=procedure, agency=agency, service_level="full")
    people = {}
    for name, kind, role in [("bench-life-desk", User.Kind.STAFF, "reception"),
                             ("bench-life-specialist", User.Kind.STAFF, "specialist"),
                             ("bench-life-leader", User.Kind.STAFF, "leader")]:
        user, _ = User.objects.get_or_create(username=name, defaults={"kind": kind, "full_name": f"Cán bộ {role}"})
        StaffRole.objects.get_or_create(user=user, agency=agency, role=role)
        people[role] = user.pk
    citizens = []
    for i in range(PROCESSES):
        user, _ = User.objects.get_or_create(
            username=f"bench-life-citizen-{i}",
            defaults={"full_name": f"Nguyễn Văn Thử {i}", "phone": f"0913{i:06d}", "identity_number": "001099012345"},
        )
        if not user.contact_confirmed:  # submitting needs a confirmed phone or e-mail
            user.contact_confirmed = True
            user.save(update_fields=["contact_confirmed"])
        citizens.append(user.pk)
    return {"agency": agency.pk, "procedure": procedure.pk, "component": procedure.components.get().pk,
            "citizens": citizens, **people}


def one_cycle(ctx: dict, citizen, staff: dict, gateway, clock: dict) -> int:
    """One dossier from draft to returned result; adds each step's seconds to ``clock``."""
    from django.core.files.base import ContentFile

    from motcua.dossiers import submission
    from motcua.dossiers.attachments import add_attachment
    from motcua.dossiers.services import Actor
    from motcua.office import services as office
    from motcua.payments import services as payments
    from motcua.workflow import services as wf

    t = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal t
        now = time.perf_counter()
        clock.setdefault(step, []).append(now - t)
        t = now

    procedure, agency = ctx["procedure_obj"], ctx["agency_obj"]
    dossier = submission.start_draft(citizen, procedure)
    result = submission.save_draft(dossier, {"applicant_name": citizen.full_name, "applicant_identity": "001099012345",
                                             "applicant_phone": citizen.phone}, prefixed=False)
    if result.errors:
        raise RuntimeError(f"draft refused: {result.errors}")
    add_attachment(dossier, ctx["component"], ContentFile(PDF, name="to-khai.pdf"), user=citizen)
    submission.submit(dossier, citizen, client_address="127.0.0.1")
    lap("submit")

    office.accept_dossier(dossier, Actor(staff["reception"], "reception", agency=agency, client_address="127.0.0.1"),
                          checks=[{"component_id": ctx["component"], "name": "Tờ khai", "form": "electronic", "count": 1}])
    lap("accept")

    task = wf.current_task(dossier)
    task = wf.claim(task, staff["specialist"])
    wf.complete(task, "forward", Actor(staff["specialist"], "specialist", agency=agency), note="Đủ điều kiện")
    lap("claim + forward")

    dossier.refresh_from_db()
    payments.request_payment(dossier, Actor(staff["specialist"], "specialist", agency=agency), amount=FEE)
    lap("request payment")

    payment, url = payments.start_payment(dossier, "vnpay", citizen)
    params = dict(parse_qsl(urlsplit(url).query))
    ipn = gateway.simulate_result(params, success=True, transaction_no=f"L{payment.pk}")
    outcome = payments.handle_callback("vnpay", ipn, remote_addr="127.0.0.1")
    if not outcome.accepted:
        raise RuntimeError(f"IPN refused: {outcome.reason}")
    lap("pay (signed IPN)")

    dossier.refresh_from_db()
    office.approve(dossier, staff["leader"], note="Đồng ý")
    lap("approve")

    office.return_result(dossier, Actor(staff["reception"], "reception", agency=agency), "Nguyễn Văn Thử", "counter")
    lap("return result")
    return dossier.pk


def _worker(args):
    index, count, ctx = args
    from django.db import connection

    connection.close()  # never share the parent's socket
    from motcua.accounts.models import User
    from motcua.catalog.models import Procedure
    from motcua.organisations.models import Agency
    from motcua.payments.contrib.vnpay import VnpayGateway

    ctx = dict(ctx, procedure_obj=Procedure.objects.get(pk=ctx["procedure"]), agency_obj=Agency.objects.get(pk=ctx["agency"]))
    citizen = User.objects.get(pk=ctx["citizens"][index])
    staff = {role: User.objects.get(pk=ctx[role]) for role in ("reception", "specialist", "leader")}
    gateway = VnpayGateway()
    clock: dict[str, list[float]] = {}
    totals, ids, errors, first_error = [], [], 0, None
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            ids.append(one_cycle(ctx, citizen, staff, gateway, clock))
            totals.append(time.perf_counter() - t0)
        except Exception as exc:  # count and go on
            errors += 1
            first_error = first_error or repr(exc)
    connection.close()
    return clock, totals, ids, errors, first_error


def main() -> None:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/lifecycle.py needs PostgreSQL (DATABASE_URL)")
    from motcua.dossiers.models import Dossier, Status
    from motcua.payments.models import Payment

    try:
        ctx = prepare()
        connection.close()
        ctx_warm = dict(ctx)
        _worker((0, 10, ctx_warm))  # warm-up in the parent: caches, first code of the day
        connection.close()
        per = N // PROCESSES
        with mp.get_context("fork").Pool(PROCESSES) as pool:
            start = time.perf_counter()
            results = pool.map(_worker, [(i, per, ctx) for i in range(PROCESSES)])
            seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(MEDIA, ignore_errors=True)

    clock: dict[str, list[float]] = {}
    for r in results:
        for step, values in r[0].items():
            clock.setdefault(step, []).extend(values)
    totals = [x for r in results for x in r[1]]
    ids = [x for r in results for x in r[2]]
    errors = sum(r[3] for r in results)
    first = next((r[4] for r in results if r[4]), None)
    returned = Dossier.objects.filter(pk__in=ids, status=Status.RETURNED).count()
    paid = Payment.objects.filter(dossier_id__in=ids, state="paid").count()
    missing = len(ids) - min(returned, paid)
    rows = [Row(f"  {step}", clock.get(step, []), seconds, extra={"http": False}) for step in STEPS]
    full = Row("full life cycle (7 steps, in process)", totals, seconds, errors=errors + missing,
               extra={"http": False, "processes": PROCESSES, "returned": returned, "paid": paid})
    if first:
        full.extra["first_error"] = first
    report("lifecycle", [full, *rows],
           note=f"{len(ids)} cycles in {PROCESSES} processes, {returned} returned, {paid} paid; "
           f"{full.throughput:.0f} cycles/s (target >= 50/s)")
    if errors or missing:
        raise SystemExit("some life cycles failed")


if __name__ == "__main__":
    main()
