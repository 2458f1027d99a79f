"""Deadlines of dossiers: the appointment date, pauses, timeliness, warnings, apologies.

The dossier row belongs to the dossiers app; this module only adjusts its deadline fields with
queryset ``update()`` calls from the ``dossier_transitioned`` receiver (see ``apps.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from motcua.catalog.models import DurationUnit, ProcedureChannel
from motcua.dossiers.models import Dossier, DossierEvent, Status, Timeliness
from motcua.workflow import calendar as cal
from motcua.workflow.models import DeadlineExtension, DeadlineWarning, Task

logger = logging.getLogger(__name__)

FALLBACK_DURATION = (Decimal(3), DurationUnit.WORKING_DAYS)
ACTIVE_STATUSES = (Status.ACCEPTED, Status.PROCESSING)
PAUSED_STATUSES = (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED)
RESUME_ACTIONS = {"supplement", "payment_received"}
DECIDING_ACTIONS = {"approve", "stop", "refuse"}


class DeadlineError(ValueError):
    """Invalid deadline request (answered with HTTP 400 and the Vietnamese message)."""


def legal_duration(dossier) -> tuple[Decimal, str]:
    """The legal processing time for the dossier's channel (and case), with fallbacks.

    Order: same channel and case, same channel, any channel of the procedure, else 3 working days.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # the queryset's statement, without compiling it each time
        cursor.execute(
            "SELECT channel, case_id, duration_value, duration_unit, id "
            f"FROM {qn(ProcedureChannel._meta.db_table)} "
            "WHERE procedure_id = %s AND duration_value IS NOT NULL AND duration_unit <> ''",
            [dossier.procedure_id],
        )
        field = ProcedureChannel._meta.get_field("duration_value")
        rows = [(channel, case_id, field.to_python(value), unit, pk) for channel, case_id, value, unit, pk in cursor.fetchall()]
    if not rows:
        return FALLBACK_DURATION

    def rank(row):
        channel, case_id, *_ , pk = row
        return (
            channel != dossier.channel,
            case_id != dossier.case_id if dossier.case_id else case_id is not None,
            pk,
        )

    best = min(rows, key=rank)
    return Decimal(best[2]), best[3]


def compute_appointment(dossier, received_at: dt.datetime) -> dt.datetime:
    """Appointment date for a dossier received at ``received_at`` (the desk calls it on accept).

    The clock starts per :func:`calendar.reception_start` at the receiving agency (15:00 rule) and
    runs on the competent agency's calendar.
    """
    start = cal.reception_start(received_at, dossier.channel, agency=dossier.receiving_agency_id)
    amount, unit = legal_duration(dossier)
    return cal.add_working_time(start, amount, unit, agency=dossier.competent_agency_id)


def classify_timeliness(decided_at: dt.datetime, appointment_at: dt.datetime) -> str:
    """Early: decided on a day before the appointment's day; on time: that day, up to the
    appointment moment; late: after it."""
    decided = cal.localize(decided_at)
    due = cal.localize(appointment_at)
    if decided > due:
        return Timeliness.LATE
    if decided.date() < due.date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


# --- receiver ------------------------------------------------------------------------------------


def on_dossier_transitioned(sender, dossier, event, transition, **kwargs) -> None:
    """Keep deadlines in step with the dossier's status (runs after the transition commits)."""
    action = event.action
    if action in ("accept", "receive_at_counter"):
        _set_appointment(dossier, event)
    elif action in RESUME_ACTIONS and event.from_status in PAUSED_STATUSES:
        _resume(dossier, event)
    if action in DECIDING_ACTIONS:
        _classify(dossier, event)


def _set_appointment(dossier, event) -> None:
    if dossier.appointment_at is not None:
        return
    received = dossier.received_at or event.at
    appointment = compute_appointment(dossier, received)
    Dossier.objects.filter(pk=dossier.pk, appointment_at__isnull=True).update(
        appointment_at=appointment, received_at=received
    )
    dossier.appointment_at, dossier.received_at = appointment, received


def _resume(dossier, event) -> None:
    """Add the working time spent waiting to the pause counter and move the deadlines forward."""
    if "paused_working_seconds" in (event.data or {}):
        return  # already handled (receivers must be idempotent)
    paused_at = dossier.paused_at
    if paused_at is None:
        return
    agency = dossier.competent_agency_id
    waited = cal.working_seconds_between(paused_at, event.at, agency=agency)
    updates = {"paused_working_seconds": F("paused_working_seconds") + waited, "paused_at": None}
    data = {"paused_working_seconds": waited, "paused_at": paused_at.isoformat()}
    if dossier.appointment_at is not None and waited:
        new_appointment = cal.add_working_seconds(dossier.appointment_at, waited, agency=agency)
        updates["appointment_at"] = new_appointment
        data.update(old_appointment_at=dossier.appointment_at.isoformat(), appointment_at=new_appointment.isoformat())
        dossier.appointment_at = new_appointment
    if not waited and connection.vendor == "postgresql":
        # Nothing to move (paused outside working time, or paid at once): the counter and the
        # event's data in one statement, no transaction of its own (two round trips fewer).
        qn = connection.ops.quote_name
        event_data = DossierEvent._meta.get_field("data").get_db_prep_value({**(event.data or {}), **data}, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH resumed AS (UPDATE {qn(Dossier._meta.db_table)} SET paused_at = NULL WHERE id = %s RETURNING 1) "
                f"UPDATE {qn(DossierEvent._meta.db_table)} SET data = %s WHERE id = %s",
                [dossier.pk, event_data, event.pk],
            )
        dossier.paused_at = None
        return
    with transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(**updates)
        if waited:
            for task in Task.objects.filter(dossier=dossier, status__in=[Task.Status.OPEN, Task.Status.CLAIMED]).exclude(
                due_at=None
            ):
                Task.objects.filter(pk=task.pk).update(
                    due_at=cal.add_working_seconds(task.due_at, waited, agency=task.agency_id)
                )
        # The resume event was just written by transition(); enrich it with what the pause cost.
        DossierEvent.objects.filter(pk=event.pk).update(data={**(event.data or {}), **data})
    dossier.paused_at = None
    dossier.paused_working_seconds = (dossier.paused_working_seconds or 0) + waited


def _classify(dossier, event) -> None:
    if dossier.appointment_at is None:
        return
    decided_at = dossier.decided_at or event.at
    timeliness = classify_timeliness(decided_at, dossier.appointment_at)
    updates = {"timeliness": timeliness}
    if event.action == "approve" and dossier.decided_at is None:
        updates["decided_at"] = decided_at
    elif dossier.timeliness == timeliness:
        return  # already written with the transition (workflow.services.complete)
    Dossier.objects.filter(pk=dossier.pk).update(**updates)
    dossier.timeliness = timeliness
    if "decided_at" in updates:
        dossier.decided_at = decided_at


# --- overdue detection ----------------------------------------------------------------------


def holder_of(dossier) -> list:
    """Users to warn about a dossier: the assignee of its open task, else none (the unit inbox shows it)."""
    task = (
        Task.objects.filter(dossier=dossier, status__in=[Task.Status.OPEN, Task.Status.CLAIMED])
        .select_related("assignee")
        .order_by("-started_at")
        .first()
    )
    return [task.assignee] if task and task.assignee_id else []


def _notify(dossier, level: str, due_at: dt.datetime) -> str:
    try:
        from motcua.integrations.messaging import queue_message
    except ImportError:  # messaging not installed: the warning is still recorded and listed
        return ""
    due = cal.localize(due_at)
    label = "quá hạn" if level == DeadlineWarning.Level.OVERDUE else "sắp đến hạn"
    subject = f"Hồ sơ {dossier.code} {label}"
    body = (
        f"Hồ sơ {dossier.code} ({dossier.applicant_name}) {label}: hẹn trả {due:%H:%M ngày %d/%m/%Y}.\n"
        "Vui lòng xử lý hoặc lập văn bản xin lỗi và hẹn lại ngày trả kết quả."
    )
    sent = []
    for user in holder_of(dossier):
        if user.email:
            queue_message("email", user.email, subject, body)
            sent.append(user.email)
        elif user.phone:
            queue_message("sms", user.phone, subject, body)
            sent.append(user.phone)
    return ", ".join(sent)[:255]


def check_deadlines(now: dt.datetime | None = None, warn_hours: int = 8) -> dict[str, int]:
    """Record (once per dossier, level and due date) dossiers past due or due within ``warn_hours``
    working hours, and warn whoever holds them. Paused dossiers are skipped: their clock is stopped.
    """
    now = now or timezone.now()
    soon = cal.add_working_time(now, warn_hours, DurationUnit.WORKING_HOURS)
    counts = {"overdue": 0, "soon": 0}
    candidates = (
        Dossier.objects.filter(status__in=ACTIVE_STATUSES, appointment_at__isnull=False, appointment_at__lte=soon)
        .only("id", "code", "applicant_name", "appointment_at")
        .order_by("appointment_at")
    )
    for dossier in candidates.iterator(chunk_size=500):
        level = DeadlineWarning.Level.OVERDUE if dossier.appointment_at <= now else DeadlineWarning.Level.SOON
        try:
            with transaction.atomic():
                warning, created = DeadlineWarning.objects.get_or_create(
                    dossier=dossier, level=level, due_at=dossier.appointment_at
                )
                if created:
                    notified = _notify(dossier, level, dossier.appointment_at)
                    if notified:
                        DeadlineWarning.objects.filter(pk=warning.pk).update(notified=notified)
        except IntegrityError:  # a concurrent run recorded it first
            continue
        if created:
            counts[level] += 1
    return counts


# --- apology and new date ---------------------------------------------------------------------


def extend_deadline(dossier, new_date: dt.datetime, reason: str, actor) -> DeadlineExtension:
    """Record the apology with a new appointment date and move the appointment.

    ``actor`` is a :class:`motcua.dossiers.services.Actor`. The status does not change, so the
    event is written directly (action ``extend_deadline``, from and to the current status).
    """
    from motcua.core.text import nfc

    reason = nfc(reason or "").strip()
    if not reason:
        raise DeadlineError("Vui lòng nêu lý do xin lỗi và hẹn lại ngày trả kết quả.")
    if new_date is None:
        raise DeadlineError("Vui lòng chọn ngày hẹn trả mới.")
    agency = dossier.competent_agency_id
    new_date = cal.localize(new_date)
    if not cal.is_working_moment(new_date, agency=agency):
        new_date = cal.next_working_moment(new_date, agency=agency)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if locked.status not in (*ACTIVE_STATUSES, *PAUSED_STATUSES):
            raise DeadlineError(f"Không thể hẹn lại khi hồ sơ đang ở trạng thái «{Status(locked.status).label}».")
        old = locked.appointment_at
        if old is not None and new_date <= old:
            raise DeadlineError("Ngày hẹn trả mới phải sau ngày hẹn hiện tại.")
        user = actor.user if getattr(actor.user, "pk", None) else None
        extension = DeadlineExtension.objects.create(
            dossier=locked, old_date=old, new_date=new_date, reason=reason, created_by=user, agency=actor.agency
        )
        Dossier.objects.filter(pk=locked.pk).update(appointment_at=new_date)
        if old is not None:
            # Steps that were due with the old appointment now run to the new one.
            Task.objects.filter(dossier=locked, status__in=[Task.Status.OPEN, Task.Status.CLAIMED], due_at=old).update(
                due_at=new_date
            )
        DossierEvent.objects.create(
            dossier=locked,
            action="extend_deadline",
            from_status=locked.status,
            to_status=locked.status,
            actor=user,
            actor_role=actor.role,
            agency=actor.agency,
            at=timezone.now(),
            note=reason,
            client_address=actor.client_address,
            data={
                "extension_id": extension.pk,
                "old_appointment_at": old.isoformat() if old else None,
                "appointment_at": new_date.isoformat(),
            },
        )
    dossier.appointment_at = new_date
    return extension
