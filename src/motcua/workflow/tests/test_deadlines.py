"""Deadlines on dossiers: appointment, the 15:00 rule, pauses, timeliness, warnings, apologies."""

import datetime as dt

import pytest
from django.core.management import call_command

from motcua.dossiers.models import DossierEvent, Status
from motcua.dossiers.services import Actor
from motcua.workflow import deadlines
from motcua.workflow.models import DeadlineExtension, DeadlineWarning, Task
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


def test_classify_timeliness():
    due = local(2026, 3, 5, 10)
    assert deadlines.classify_timeliness(local(2026, 3, 4, 16), due) == "early"
    assert deadlines.classify_timeliness(local(2026, 3, 5, 7, 45), due) == "on_time"
    assert deadlines.classify_timeliness(due, due) == "on_time"
    assert deadlines.classify_timeliness(local(2026, 3, 5, 10, 1), due) == "late"
    assert deadlines.classify_timeliness(local(2026, 3, 6, 8), due) == "late"


def test_compute_appointment_uses_channel_then_fallbacks(org, make_dossier):
    online = make_dossier(channel=2)
    assert deadlines.compute_appointment(online, local(2026, 3, 2, 9)) == local(2026, 3, 5, 9)
    counter = make_dossier(channel=1)
    assert deadlines.compute_appointment(counter, local(2026, 3, 2, 9)) == local(2026, 3, 3, 9)
    # 15:00 rule at the counter: counts from Tuesday 07:30, 1 working day -> Tuesday 17:00.
    assert deadlines.compute_appointment(counter, local(2026, 3, 2, 15, 30)) == local(2026, 3, 3, 17)
    post = make_dossier(channel=3)  # no channel 3 row: falls back to a structured channel
    assert deadlines.compute_appointment(post, local(2026, 3, 2, 9)) in (local(2026, 3, 3, 9), local(2026, 3, 5, 9))
    org.procedure.channels.all().delete()
    assert deadlines.compute_appointment(online, local(2026, 3, 2, 9)) == local(2026, 3, 5, 9)  # 3 working days


def test_accept_sets_appointment_across_tet(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 2, 12, 10))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 2, 12, 10))
    assert dossier.appointment_at == local(2026, 2, 24, 10)  # Fri 13, Mon 23, Tue 24


def test_pause_moves_deadline_by_working_time_waited(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    assert dossier.appointment_at == local(2026, 3, 5, 9)
    assert dossier.status == Status.PROCESSING  # the workflow started
    task = Task.objects.get(dossier=dossier, status="open")
    assert task.due_at == local(2026, 3, 5, 9)
    act(dossier, "request_supplement", org.specialist, "specialist", at=local(2026, 3, 3, 10))
    assert dossier.status == Status.SUPPLEMENT_REQUESTED and dossier.paused_at == local(2026, 3, 3, 10)
    # Waiting: Tue 10:00-11:30 and 13:00-17:00 (5.5 h) + Wed 07:30-08:30 (1 h) = 6.5 h.
    event = act(dossier, "supplement", None, "reception", at=local(2026, 3, 4, 8, 30))
    assert dossier.status == Status.PROCESSING
    assert dossier.paused_working_seconds == 6.5 * 3600
    assert dossier.paused_at is None
    assert dossier.appointment_at == local(2026, 3, 5, 17)  # Thu 09:00 + 15 working hours
    event.refresh_from_db()
    assert event.data["paused_working_seconds"] == 6.5 * 3600
    assert event.data["appointment_at"] == local(2026, 3, 5, 17).isoformat()
    task.refresh_from_db()
    assert task.due_at == local(2026, 3, 5, 17)


def test_pause_over_tet_costs_nothing_during_the_break(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 2, 11, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 2, 11, 9))
    due = dossier.appointment_at
    act(dossier, "request_payment", org.specialist, "specialist", at=local(2026, 2, 13, 16))
    act(dossier, "payment_received", None, "system", at=local(2026, 2, 23, 8, 30))
    assert dossier.paused_working_seconds == 2 * 3600
    assert dossier.appointment_at == deadlines.cal.add_working_seconds(due, 2 * 3600)


def test_pause_outside_working_time_moves_nothing(org, make_dossier, act):
    """Requested and paid on a Sunday: no working time waited; the pause still ends and the resume
    event still records what it cost (one statement on PostgreSQL)."""
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    due, task = dossier.appointment_at, Task.objects.get(dossier=dossier, status="open")
    act(dossier, "request_payment", org.specialist, "specialist", at=local(2026, 3, 8, 9))
    assert dossier.paused_at == local(2026, 3, 8, 9)
    event = act(dossier, "payment_received", None, "system", at=local(2026, 3, 8, 10))
    assert dossier.status == Status.PROCESSING and dossier.paused_at is None
    assert dossier.paused_working_seconds == 0 and dossier.appointment_at == due
    event.refresh_from_db()
    assert event.data["paused_working_seconds"] == 0
    assert dt.datetime.fromisoformat(event.data["paused_at"]) == local(2026, 3, 8, 9)
    task.refresh_from_db()
    assert task.due_at == due


def test_approve_classifies(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    act(dossier, "approve", org.leader, "leader", at=local(2026, 3, 4, 9))
    assert dossier.timeliness == "early" and dossier.decided_at == local(2026, 3, 4, 9)
    late = make_dossier(received_at=local(2026, 3, 2, 9))
    act(late, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    act(late, "stop", org.leader, "leader", at=local(2026, 3, 9, 9))
    assert late.timeliness == "late"


def test_check_deadlines_warns_once_per_level(org, make_dossier, act, mailoutbox, django_capture_on_commit_callbacks):
    from motcua.workflow import services

    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    services.claim(Task.objects.get(dossier=dossier, status="open"), org.specialist)
    quiet = make_dossier(received_at=local(2026, 3, 2, 9))
    act(quiet, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    quiet.__class__.objects.filter(pk=quiet.pk).update(appointment_at=local(2026, 4, 1, 9))
    counts = deadlines.check_deadlines(now=local(2026, 3, 4, 14))  # due Thu 09:00, 3.5 h ahead
    assert counts == {"overdue": 0, "soon": 1}
    assert deadlines.check_deadlines(now=local(2026, 3, 4, 15)) == {"overdue": 0, "soon": 0}
    assert deadlines.check_deadlines(now=local(2026, 3, 5, 10)) == {"overdue": 1, "soon": 0}
    assert deadlines.check_deadlines(now=local(2026, 3, 5, 11)) == {"overdue": 0, "soon": 0}
    warnings = DeadlineWarning.objects.filter(dossier=dossier)
    assert sorted(warnings.values_list("level", flat=True)) == ["overdue", "soon"]
    assert warnings.first().notified == "chuyenvien@example.vn"
    from motcua.integrations.models import OutboxMessage

    assert OutboxMessage.objects.filter(recipient="chuyenvien@example.vn").count() == 2
    # Paused dossiers are not overdue: their clock is stopped.
    act(dossier, "request_supplement", org.specialist, "specialist", at=local(2026, 3, 5, 11))
    assert deadlines.check_deadlines(now=local(2026, 3, 20, 10)) == {"overdue": 0, "soon": 0}


def test_check_deadlines_command(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2025, 3, 3, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2025, 3, 3, 9))
    call_command("check-deadlines")
    assert DeadlineWarning.objects.filter(dossier=dossier, level="overdue").exists()


def test_extend_deadline_records_apology_and_event(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    actor = Actor(user=org.leader, role="leader", agency=org.commune)
    with pytest.raises(deadlines.DeadlineError, match="lý do"):
        deadlines.extend_deadline(dossier, local(2026, 3, 10, 9), "  ", actor)
    with pytest.raises(deadlines.DeadlineError, match="phải sau"):
        deadlines.extend_deadline(dossier, local(2026, 3, 4, 9), "Cần xác minh", actor)
    before = DossierEvent.objects.filter(dossier=dossier).count()
    ext = deadlines.extend_deadline(dossier, local(2026, 3, 7, 9), "Cần xác minh thêm tại địa phương", actor)
    dossier.refresh_from_db()
    assert ext.old_date == local(2026, 3, 5, 9)
    assert dossier.appointment_at == local(2026, 3, 9, 7, 30)  # Saturday moved to Monday morning
    event = DossierEvent.objects.filter(dossier=dossier).latest("id")
    assert DossierEvent.objects.filter(dossier=dossier).count() == before + 1
    assert (event.action, event.from_status, event.to_status) == ("extend_deadline", Status.PROCESSING, Status.PROCESSING)
    assert DeadlineExtension.objects.filter(dossier=dossier).count() == 1
    assert Task.objects.get(dossier=dossier, status="open").due_at == local(2026, 3, 9, 7, 30)
    # A decided dossier can no longer be extended.
    act(dossier, "approve", org.leader, "leader", at=local(2026, 3, 9, 8))
    with pytest.raises(deadlines.DeadlineError, match="Đã xử lý xong"):
        deadlines.extend_deadline(dossier, local(2026, 3, 20, 9), "Lý do", actor)
