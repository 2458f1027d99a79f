"""Payments' reaction to dossier status changes: collect the fee before processing when due.

Hooked on ``start_processing`` (status 2 → 4), which the workflow app's receiver performs right
after the desk accepts: the order is then always 2 → 4 (workflow started) → 6 (payment
requested) → back to 4 by ``payment_received``. Hooking on ``accept`` instead would race the
workflow receiver (a dossier paused at 6 before its workflow starts would resume to 2).
"""

from __future__ import annotations

import logging

from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed
from motcua.payments.fees import compute_fee
from motcua.payments.models import CollectAt, PaymentRequest

log = logging.getLogger(__name__)


def collects_before_processing(dossier: Dossier) -> bool:
    """Whether the dossier's fee (procedure, channel, applicant category, case) is due before processing."""
    quote = compute_fee(
        dossier.procedure, dossier.channel, (dossier.form_data or {}).get("applicant_category"), case=dossier.case
    )
    return quote.total > 0 and quote.collect_at == CollectAt.BEFORE_PROCESSING


def request_payment_before_processing(dossier: Dossier, actor: Actor | None = None) -> PaymentRequest | None:
    """Move a dossier that has just started processing to status 6 when its fee is due first.

    Does nothing (returns None) when the dossier is no longer in processing, already had a
    payment request (one collection before processing, never two), or owes nothing now.
    """
    from motcua.payments.services import PaymentError, request_payment

    fresh = Dossier.objects.select_related("procedure", "case").filter(pk=dossier.pk).first()
    if fresh is None or fresh.status != Status.PROCESSING:
        return None
    if PaymentRequest.objects.filter(dossier=fresh).exists() or not collects_before_processing(fresh):
        return None
    try:
        payment_request = request_payment(fresh, actor or Actor(role="system", agency=fresh.current_agency))
    except (PaymentError, TransitionNotAllowed) as exc:
        log.info("Dossier %s: no payment requested before processing: %s", fresh.pk, exc)
        return None
    for field in ("status", "paused_from_status", "paused_at"):
        setattr(dossier, field, getattr(fresh, field))
    return payment_request


def on_dossier_transitioned(sender, dossier, event, transition, **kwargs) -> None:
    """Receiver of ``dossier_transitioned``; a failure is logged, never raised (the change is committed)."""
    if event.action != "start_processing":
        return
    try:
        request_payment_before_processing(dossier, Actor(role="system", agency=event.agency))
    except Exception:  # noqa: BLE001 - a receiver must not break the caller after commit
        log.exception("Dossier %s: requesting the payment before processing failed", dossier.pk)
