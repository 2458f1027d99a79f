"""Full life cycles through the real services, in process on PostgreSQL. Target: >= 50 cycles/s.

In process, not over HTTP: each step calls the service function the office view, the citizen API
or the gateway endpoint calls, so it measures the business work (locks, writes, after-commit
receivers) without sessions, authentication, CSRF, form parsing or templates. The staff users are
loaded once per process and reused, as one request reuses its user (their roles, once the office
code loaded them, are cached on the object like ``office.services.staff_roles`` does per request).

What each step does (queries counted on PostgreSQL with the after-commit receivers, after the
life-cycle work of issue 5; ``BENCH_LIFECYCLE_SQL=1`` prints them; the run prints the measured
figures per step):

1. submit (12, dossiers app): ``submission.start_draft`` (INSERT dossier), ``save_draft`` (one
   conditional UPDATE), ``add_attachment`` (version look-up, INSERT attachment, UPDATE digitised
   flag), and ``submission.submit``: lock the dossier row (``FOR UPDATE OF`` the dossier only),
   completeness (current attachments), the agency's code counter (one ``UPDATE … RETURNING``),
   the status UPDATE and its ``DossierEvent``; after commit the notice (outbox row + task row).
2. accept (17): ``office.accept_dossier``: the appointment from the legal duration and the cached
   working calendar; one row lock for acceptance and workflow start; the accept event; the
   workflow: the active definition (one query; its steps and transitions come from the
   per-process graph cache keyed on the definition's revision), INSERT DossierWorkflow unless
   there is one (``ON CONFLICT DO NOTHING RETURNING``), the reception task and the first
   processing task in one INSERT, the holdings in one INSERT; start_processing: one UPDATE of the
   dossier for both transitions, its event. After commit: two notices (2 × 2), the statistics
   (day and month upserts in one statement), and the payments receiver on start_processing
   ("already requested?", the fee quote; payments app).
3. claim + forward (9): ``workflow.current_task``; ``claim`` (the specialist's roles, one
   conditional UPDATE); ``complete(task, "forward")``: the task with its step and definition and
   the dossier's row lock in one statement, the roles, close the task (conditional UPDATE),
   INSERT the next task, the current holding, the event (the agency's name from the per-process
   name cache).
4. request payment (11, payments app): ``payments.request_payment``: the fee quote, the request,
   the dossier's transition to "payment requested" (lock, UPDATE, event), the notice.
5. pay (signed IPN) (11, payments app): ``start_payment`` (payment row and its transition),
   ``handle_callback``: verify, mark paid, the dossier's ``payment_received`` transition (back to
   processing); after commit the notice, the deadlines receiver (the pause's working time: one
   statement when none passed) and the statistics.
6. approve (11): ``office.approve``: the current task; ``complete(task, "approve")``: the task and
   the lock in one statement, close the task, one UPDATE with status, decision and finish dates
   and timeliness, the event, open the desk's "return result" task (INSERT + current holding);
   after commit the notice and the statistics. The caller's dossier is refreshed from the locked
   instance, not read again.
7. return result (7): ``office.return_result``: lock, UPDATE, event; after commit the notice, the
   workflow receiver closing tasks, holdings and workflow (one statement of three chained
   UPDATEs), the statistics.

Steps 4 and 6 each include one read of the dossier by the bench itself (``refresh_from_db``, as
the next request would load it).

BENCH_LIFECYCLES cycles run in BENCH_LIFECYCLE_PROCESSES forked processes (each its own database
connection), all at one agency, so every submit competes for the same code counter row. Each step
is its own row (with its queries and CPU milliseconds per cycle); "full life cycle" is cycles / wall
time. Every dossier must end returned (status 10) with its payment paid, or the run fails.
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
SHOW_SQL = os.environ.get("BENCH_LIFECYCLE_SQL") == "1"
QUERIES: list[str] = []  # statements sent by this process (an execute wrapper appends them)


def _count(execute, sql, params, many, context):
    QUERIES.append(sql if SHOW_SQL else "")
    return execute(sql, params, many, context)
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
    cpu = time.process_time()
    seen = len(QUERIES)

    def lap(step: str) -> None:
        nonlocal t, cpu, seen
        now, now_cpu = time.perf_counter(), time.process_time()
        clock.setdefault(step, []).append(now - t)
        clock.setdefault(f"{step}:cpu", []).append(now_cpu - cpu)
        clock.setdefault(f"{step}:queries", []).append(len(QUERIES) - seen)
        if SHOW_SQL and len(clock[step]) == 1:
            print(f"-- {step}: {len(QUERIES) - seen} queries")
            for sql in QUERIES[seen:]:
                print("   ", sql[:160])
        t, cpu, seen = now, now_cpu, len(QUERIES)

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
    with connection.execute_wrapper(_count):
        for _ in range(count):
            t0 = time.perf_counter()
            try:
                ids.append(one_cycle(ctx, citizen, staff, gateway, clock))
                totals.append(time.perf_counter() - t0)
            except Exception as exc:  # count and go on
                errors += 1
                first_error = first_error or repr(exc)
            QUERIES.clear()
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
    def mean(values, scale=1.0):
        return round(scale * sum(values) / len(values), 1) if values else None

    rows = [
        Row(f"  {step}", clock.get(step, []), seconds,
            extra={"http": False, "queries": mean(clock.get(f"{step}:queries", [])),
                   "cpu_ms": mean(clock.get(f"{step}:cpu", []), 1000)})
        for step in STEPS
    ]
    queries = sum(r.extra["queries"] or 0 for r in rows)
    cpu_ms = sum(r.extra["cpu_ms"] or 0 for r in rows)
    full = Row("full life cycle (7 steps, in process)", totals, seconds, errors=errors + missing,
               extra={"http": False, "processes": PROCESSES, "returned": returned, "paid": paid,
                      "queries": round(queries, 1), "cpu_ms": round(cpu_ms, 1)})
    if first:
        full.extra["first_error"] = first
    report("lifecycle", [full, *rows],
           note=f"{len(ids)} cycles in {PROCESSES} processes, {returned} returned, {paid} paid; "
           f"{full.throughput:.0f} cycles/s (target >= 50/s); per cycle {queries:.0f} queries and "
           f"{cpu_ms:.0f} ms of this process's CPU (PostgreSQL's not included); per step: "
           + ", ".join(f"{step} {r.extra['queries']} q / {r.extra['cpu_ms']} ms" for step, r in zip(STEPS, rows)))
    if errors or missing:
        raise SystemExit("some life cycles failed")


if __name__ == "__main__":
    main()
