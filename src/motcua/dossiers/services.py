"""Business rules of dossiers: code allocation and the single entry point for status changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierCodeCounter, DossierEvent, Status
from motcua.dossiers.signals import dossier_transitioned
from motcua.dossiers.transitions import RESUME, TRANSITIONS, Transition


class TransitionNotAllowed(Exception):
    """Raised when an action does not apply to the dossier's status or the actor's role (HTTP 409/403)."""

    def __init__(self, message: str, *, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


def allocate_code(agency, when: dt.datetime | None = None) -> str:
    """Next dossier code for ``agency`` on the local date of ``when``: gap-free under concurrency.

    The counter row is created if missing and then locked with SELECT ... FOR UPDATE, so two
    servers can never hand out the same number; on SQLite the IMMEDIATE transaction mode
    serialises writers the same way. Must run inside the transaction that saves the dossier.
    """
    when = timezone.localtime(when or timezone.now())
    day = when.date()
    with transaction.atomic():
        DossierCodeCounter.objects.get_or_create(agency=agency, day=day)
        counter = DossierCodeCounter.objects.select_for_update().get(agency=agency, day=day)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    return agency.dossier_code_pattern.format(agency=agency.code, date=when, seq=counter.last_value)


@dataclass
class Actor:
    """Who acts: a user with the role they act in (or the system), at which agency, from where."""

    user: object | None = None
    role: str = "system"
    agency: object | None = None
    client_address: str | None = None


def transition(
    dossier: Dossier,
    action: str,
    actor: Actor,
    *,
    note: str = "",
    data: dict | None = None,
    at: dt.datetime | None = None,
    update_fields: dict | None = None,
) -> DossierEvent:
    """Apply ``action`` to ``dossier``: check it is allowed, set the status, record and emit the event.

    ``update_fields`` are other dossier fields to set in the same save (e.g. appointment date).
    The dossier row is locked for the duration, so two officials cannot act on it at once.
    """
    spec: Transition | None = TRANSITIONS.get(action)
    if spec is None:
        raise TransitionNotAllowed(f"Thao tác không hợp lệ: {action}")
    if actor.role not in spec.roles:
        raise TransitionNotAllowed(f"Vai trò của bạn không được phép thực hiện thao tác «{spec.label}».", forbidden=True)
    at = at or timezone.now()
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if locked.status not in spec.sources:
            raise TransitionNotAllowed(
                f"Không thể «{spec.label}» khi hồ sơ đang ở trạng thái «{Status(locked.status).label}»."
            )
        from_status = locked.status
        target = spec.target
        if target == RESUME:
            target = locked.paused_from_status or Status.PROCESSING
            locked.paused_from_status = None
        if target in (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED):
            locked.paused_from_status = from_status
            locked.paused_at = at
            if target == Status.SUPPLEMENT_REQUESTED:
                locked.supplement_count += 1
        locked.status = target
        for name, value in (update_fields or {}).items():
            setattr(locked, name, value)
        locked.save()
        event = DossierEvent.objects.create(
            dossier=locked,
            action=action,
            from_status=from_status,
            to_status=target,
            actor=actor.user if getattr(actor.user, "pk", None) else None,
            actor_role=actor.role,
            agency=actor.agency,
            at=at,
            note=note,
            client_address=actor.client_address,
            data=data or {},
        )
        transaction.on_commit(
            lambda: dossier_transitioned.send(sender=Dossier, dossier=locked, event=event, transition=spec)
        )
    # Keep the caller's instance current.
    for field in locked._meta.concrete_fields:
        setattr(dossier, field.attname, getattr(locked, field.attname))
    return event
