"""The payment state machine, in one place: one event name per allowed edge.

A late "paid" for an expired payment is accepted (the money did arrive: a bank transfer after
the deadline); a failed payment never becomes paid (the citizen starts a new attempt).

On PostgreSQL the hot "confirm" edge (a gateway's callback) is applied by one conditional UPDATE
built from ``EDGES`` and ``TIMESTAMPS`` (``services._gate_sql``), which writes the same
transition row in the same statement.
"""

from __future__ import annotations

from django.utils import timezone

from motcua.payments.models import Payment, PaymentState, PaymentTransition

P = PaymentState


class PaymentStateError(Exception):
    pass


class PaymentStateMachine:
    EDGES: dict[str, tuple[tuple[str, ...], str]] = {
        "confirm": ((P.PENDING, P.EXPIRED), P.PAID),
        "fail": ((P.PENDING,), P.FAILED),
        "expire": ((P.PENDING,), P.EXPIRED),
        "refund": ((P.PAID,), P.REFUNDED),
    }
    TIMESTAMPS = {P.PAID: "paid_at", P.FAILED: "failed_at", P.EXPIRED: "expired_at", P.REFUNDED: "refunded_at"}

    @classmethod
    def can(cls, payment: Payment, event: str) -> bool:
        sources, _ = cls.EDGES[event]
        return payment.state in sources

    @classmethod
    def apply(cls, payment: Payment, event: str, *, actor=None, source: str = "", note: str = "", at=None,
              update_fields: dict | None = None) -> PaymentTransition:
        """Move a (locked) payment along ``event``; save it and record the transition."""
        if event not in cls.EDGES:
            raise PaymentStateError(f"Unknown payment event {event!r}")
        sources, target = cls.EDGES[event]
        if payment.state not in sources:
            raise PaymentStateError(f"Cannot {event} a payment in state {payment.state}")
        at = at or timezone.now()
        from_state = payment.state
        payment.state = target
        setattr(payment, cls.TIMESTAMPS[target], at)
        fields = {"state", cls.TIMESTAMPS[target]}
        for name, value in (update_fields or {}).items():
            setattr(payment, name, value)
            fields.add(name)
        payment.save(update_fields=sorted(fields))
        return PaymentTransition.objects.create(
            payment=payment,
            event=event,
            from_state=from_state,
            to_state=target,
            at=at,
            actor=actor if getattr(actor, "pk", None) else None,
            source=source,
            note=note,
        )
