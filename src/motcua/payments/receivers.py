"""Payments' reaction to dossier status changes: collect the fee before processing when due.

Hooked on ``start_processing`` (status 2 → 4), which the workflow app's receiver performs right
after the desk accepts: the order is then always 2 → 4 (workflow started) → 6 (payment
requested) → back to 4 by ``payment_received``. Hooking on ``accept`` instead would race the
workflow receiver (a dossier paused at 6 before its workflow starts would resume to 2).
"""

from __future__ import annotations

import logging

from motcua.core.prepared import Prepared
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed
from motcua.payments.fees import compute_fee
from motcua.payments.models import CollectAt, PaymentRequest

log = logging.getLogger(__name__)


_any_request = Prepared(lambda dossier_id: PaymentRequest.objects.filter(dossier_id=dossier_id).only("id")[:1], (-1,))


def fee_quote(dossier: Dossier):
    """The dossier's fee quote (procedure, channel, applicant category, case)."""
    return compute_fee(
        dossier.procedure_id, dossier.channel, (dossier.form_data or {}).get("applicant_category"), case=dossier.case_id
    )


def collects_before_processing(dossier: Dossier) -> bool:
    """Whether the dossier's fee is due before processing."""
    quote = fee_quote(dossier)
    return quote.total > 0 and quote.collect_at == CollectAt.BEFORE_PROCESSING


def request_payment_before_processing(dossier: Dossier, actor: Actor | None = None) -> PaymentRequest | None:
    """Move a dossier that has just started processing to status 6 when its fee is due first.

    Does nothing (returns None) when the dossier is no longer in processing, already had a
    payment request (one collection before processing, never two), or owes nothing now. The
    dossier is not read again: ``request_payment``'s transition locks the row and refuses it if
    its status has changed meanwhile; the quote computed here is the one it uses.
    """
    from motcua.payments.services import PaymentError, request_payment

    if dossier.status != Status.PROCESSING or _any_request.first(dossier.pk) is not None:
        return None
    quote = fee_quote(dossier)
    if not (quote.total > 0 and quote.collect_at == CollectAt.BEFORE_PROCESSING):
        return None
    try:
        return request_payment(dossier, actor or Actor(role="system", agency=dossier.current_agency), quote=quote)
    except (PaymentError, TransitionNotAllowed) as exc:
        log.info("Dossier %s: no payment requested before processing: %s", dossier.pk, exc)
        return None


def on_dossier_transitioned(sender, dossier, event, transition, **kwargs) -> None:
    """Receiver of ``dossier_transitioned``; a failure is logged, never raised (the change is committed)."""
    if event.action != "start_processing":
        return
    try:
        request_payment_before_processing(dossier, Actor(role="system", agency=event.agency))
    except Exception:  # noqa: BLE001 - a receiver must not break the caller after commit
        log.exception("Dossier %s: requesting the payment before processing failed", dossier.pk)
