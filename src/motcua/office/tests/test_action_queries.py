"""Queries per staff action over HTTP (issues 5 and 9: the cost of a life cycle), the after-commit
receivers included (notices, deadlines, statistics, payments, workflow). Measured on a second
dossier, once the one-time work is done (default workflow created, calendar seeded, caches
filled). Lower a number when you cut queries; never raise one without saying why."""

from __future__ import annotations

import traceback

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from motcua.dossiers.models import Status
from motcua.office.tests.conftest import submit_dossier
from motcua.workflow.models import Task

# Transactional: each request runs in autocommit as in production (no test transaction around it
# turning every atomic block into a savepoint), and the on_commit receivers run for real.
pytestmark = pytest.mark.django_db(transaction=True)

# PostgreSQL sends the statistics' day and month upserts as one statement (WITH … INSERT), and
# closes tasks, holdings and workflow of a finished dossier with one statement (WITH … UPDATE).
STATS = 1 if connection.vendor == "postgresql" else 2
CLOSE = 1 if connection.vendor == "postgresql" else 3
# A notice: its outbox row and its delivery task in one statement on PostgreSQL with the database
# queue (integrations.messaging), an INSERT and an after-commit enqueue elsewhere.
NOTICE = 1 if connection.vendor == "postgresql" else 2
# A status change's UPDATE and its event's INSERT: one statement on PostgreSQL (core.statements).
EVENT = 1 if connection.vendor == "postgresql" else 2


@pytest.fixture(autouse=True)
def _queued_tasks(settings):
    """Notices queued in the database as in production (the test default delivers them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _post(client, name, dossier, data=None, *, warm=True) -> int:
    """Queries of one POST, without those the payments app sends (its receiver asking for the fee
    before processing: pinned by the payments app's own tests)."""
    payments = []

    def note_payments(execute, sql, params, many, context):
        if any("/motcua/payments/" in frame.filename for frame in traceback.extract_stack()):
            payments.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(note_payments):
        r = client.post(reverse(f"office:{name}", args=[dossier.pk]), data or {})
    assert r.status_code == 302, r.content.decode()[:400]
    # BEGIN and COMMIT are logged on SQLite only: not counted.
    sql = [q["sql"] for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")]
    if warm:  # the one-time work (seeding the calendar, creating the default workflow) nests atomics
        assert not any(s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for s in sql), sql
    return len(sql) - len(payments)


def _accept_data(dossier):
    components = list(dossier.procedure.components.all())
    return {**{f"form-{c.pk}": "electronic" for c in components}, **{f"count-{c.pk}": "1" for c in components}}


def _life_cycle(client, desk, specialist, leader, dossier, warm=True) -> dict[str, int]:
    counts = {}
    client.force_login(desk)
    counts["accept"] = _post(client, "accept", dossier, _accept_data(dossier), warm=warm)
    client.force_login(specialist)
    counts["claim"] = _post(client, "claim", dossier)
    counts["forward"] = _post(client, "complete_step", dossier, {"action": "forward", "note": "Đủ điều kiện"})
    client.force_login(leader)
    counts["approve"] = _post(client, "approve", dossier, {"note": "Đồng ý"})
    client.force_login(desk)
    counts["return"] = _post(client, "return_result", dossier, {"receiver_name": "Nguyễn Văn An", "method": "counter"})
    return counts


def test_queries_of_each_staff_action(client, desk, specialist, leader, procedure, agency, citizen):
    _life_cycle(client, desk, specialist, leader, submit_dossier(procedure, agency, citizen), warm=False)
    dossier = submit_dossier(procedure, agency, citizen)
    counts = _life_cycle(client, desk, specialist, leader, dossier)
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED and dossier.decided_at and dossier.finished_at and dossier.timeliness
    assert not Task.objects.filter(dossier=dossier, status__in=["open", "claimed"]).exists()
    # Each request: session + user, the dossier, the user's roles (3), then the action:
    # accept: components and attachments of the form (2), legal duration (1), lock and event
    # (2), workflow start (definition, workflow row, tasks, holdings: 4), start of processing
    # (one UPDATE for both transitions, event: 2), notices 2 × NOTICE, statistics.
    assert counts == {
        "accept": 12 + EVENT + 2 * NOTICE + STATS,
        "claim": 5,
        "forward": 9,
        "approve": 8 + EVENT + NOTICE + STATS,
        "return": 4 + EVENT + NOTICE + CLOSE + STATS,
    }


def test_queries_of_supplement_refusal_and_stop(client, desk, specialist, leader, procedure, agency, citizen):
    _life_cycle(client, desk, specialist, leader, submit_dossier(procedure, agency, citizen), warm=False)
    counts = {}
    client.force_login(desk)
    first = submit_dossier(procedure, agency, citizen)
    component = procedure.components.first()
    counts["request_supplement"] = _post(client, "request_supplement", first,
                                         {"component": [component.pk], f"note-{component.pk}": "Bản rõ hơn"})
    second = submit_dossier(procedure, agency, citizen)
    counts["refuse"] = _post(client, "refuse", second, {"reason": "Không thuộc thẩm quyền"})
    third = submit_dossier(procedure, agency, citizen)
    _post(client, "accept", third, _accept_data(third))
    client.force_login(leader)
    counts["stop"] = _post(client, "stop", third, {"reason": "Người yêu cầu không đủ điều kiện"})
    third.refresh_from_db()
    assert third.status == Status.STOPPED and third.finished_at is not None
    assert counts == {"request_supplement": 5 + EVENT + NOTICE + STATS, "refuse": 4 + EVENT + NOTICE + CLOSE + STATS,
                      "stop": 7 + EVENT + NOTICE + CLOSE + STATS}
