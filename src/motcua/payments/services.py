"""Business rules of payments: requesting a fee on a dossier, paying it through a gateway,
verifying every callback, reconciling with the gateways, bank transfers, refunds, expiry.

``mark_paid`` is the one place a payment becomes paid: a conditional update (state, amount and
currency as in our own record) is the idempotency gate, the gateway's transaction id is unique in
the database, and once the request is settled the dossier moves on with ``payment_received``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import re
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from motcua.catalog.models import Procedure
from motcua.core import statements
from motcua.core.prepared import Prepared
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed
from motcua.dossiers.services import transition as dossier_transition
from motcua.payments.base import CallbackData, CallbackRejected
from motcua.payments.fees import FeeQuote, compute_fee, format_vnd  # noqa: F401 - public API
from motcua.payments.models import GatewayCallbackLog, Payment, PaymentRequest, PaymentState, PaymentTransition
from motcua.payments.registry import UnknownGateway, get_gateway
from motcua.payments.states import PaymentStateMachine

log = logging.getLogger(__name__)
PAID_ONLINE_PROVINCE_PORTAL = 2
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_RE = re.compile(r"MC\d{6}[A-Z2-9]{8}")


class PaymentError(Exception):
    """A payment action that cannot be done; the message is Vietnamese, for the user."""


def new_reference() -> str:
    """MC + yymmdd + 8 unambiguous letters/digits: fits VNPAY's TxnRef and a bank transfer note."""
    day = timezone.localdate().strftime("%y%m%d")
    return "MC" + day + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


# --- requesting and starting -------------------------------------------------------------------

# Look-ups of every payment flow, compiled once per connection (core.prepared).
_open_request = Prepared(
    lambda dossier_id: PaymentRequest.objects.filter(dossier_id=dossier_id, settled_at__isnull=True)
    .order_by("-requested_at")[:1],
    (-1,),
)
# A request's pending payments through one gateway, newest first (a handful at most: expiry is
# checked in Python, as SQLite's compiled parameters hold datetimes as text).
_pending_payments = Prepared(
    lambda request_id, gateway: Payment.objects.filter(
        request_id=request_id, gateway=gateway, state=PaymentState.PENDING
    ).order_by("-created_at"),
    (-1, "\x00gateway"),
)


def open_request(dossier) -> PaymentRequest | None:
    return _open_request.first(dossier.pk)


def request_payment(dossier, actor: Actor, amount: int | None = None, *, note: str = "",
                    quote: FeeQuote | None = None) -> PaymentRequest:
    """Ask the applicant to pay (dossier -> status 6). ``amount`` defaults to the fee quote for the
    dossier's procedure, channel and applicant category (``form_data["applicant_category"]``);
    ``quote``: that quote when the caller has just computed it."""
    if quote is None:
        quote = compute_fee(dossier.procedure_id, dossier.channel, (dossier.form_data or {}).get("applicant_category"),
                            case=dossier.case_id)
    lines = [line.as_dict() for line in quote.lines]
    explanation = quote.explanation
    if amount is None:
        amount = quote.total
    elif amount != quote.total:
        lines = [{"kind": "other", "label": "Nghĩa vụ tài chính", "base_amount": amount, "amount": amount, "notes": []}]
        explanation = f"Số tiền phải nộp theo yêu cầu của cơ quan giải quyết: {format_vnd(amount)}."
    if amount <= 0:
        raise PaymentError("Hồ sơ không có khoản phí, lệ phí nào phải nộp.")
    with transaction.atomic():
        if open_request(dossier) is not None:
            raise PaymentError("Hồ sơ đang có một yêu cầu thanh toán chưa hoàn thành.")
        dossier_transition(dossier, "request_payment", actor, note=note or explanation, data={"amount": amount})
        return PaymentRequest.objects.create(
            dossier=dossier, amount=amount, lines=lines, explanation=explanation,
            requested_by=actor.user if getattr(actor.user, "pk", None) else None,
        )


def start_payment(dossier, gateway_code: str, user=None, *, client_ip: str = "127.0.0.1",
                  base_url: str | None = None) -> tuple[Payment, str]:
    """Create (or reuse a still valid) pending payment for the open request; return it with the
    URL to send the payer to (the gateway, or our bank-transfer page)."""
    try:
        gateway = get_gateway(gateway_code)
    except UnknownGateway:
        raise PaymentError("Phương thức thanh toán không hợp lệ.") from None
    if not gateway.is_configured():
        raise PaymentError("Phương thức thanh toán này chưa được cấu hình.")
    if dossier.status != Status.PAYMENT_REQUESTED:
        raise PaymentError("Hồ sơ hiện không ở trạng thái chờ thực hiện nghĩa vụ tài chính.")
    req = open_request(dossier)
    if req is None:
        raise PaymentError("Hồ sơ không có yêu cầu thanh toán nào đang chờ.")
    now = timezone.now()
    payment = next((p for p in _pending_payments.all(req.pk, gateway.code)
                    if p.expires_at is not None and p.expires_at > now), None)  # as expires_at__gt did
    if payment is None:
        payment = Payment(
            dossier=dossier, request=req, reference=new_reference(), amount=req.amount, currency="VND",
            gateway=gateway.code, payer=user if getattr(user, "pk", None) else None, expires_at=now + gateway.expiry,
        )
        with transaction.atomic():  # the payment and its first history row, or neither
            statements.insert(payment)
            statements.insert(PaymentTransition(payment=payment, event="create", from_state="",
                                                to_state=PaymentState.PENDING, at=now, actor=payment.payer,
                                                source="citizen"))
    return payment, gateway.start_url(payment, client_ip=client_ip, base_url=base_url)


# --- paying ------------------------------------------------------------------------------------

@dataclass
class MarkPaidResult:
    payment: Payment
    created: bool


def mark_paid(payment: Payment, txn_id: str, amount: int, currency: str, *, source: str = "ipn", actor=None,
              raw: dict | None = None, note: str = "") -> MarkPaidResult:
    """Record that ``payment`` was paid, exactly once.

    Idempotent: the same transaction id again returns ``created=False`` and changes nothing.
    Raises :class:`CallbackRejected` (amount/currency mismatch, a different transaction for an
    already paid payment, a transaction id already used by another payment, a state that cannot
    become paid).
    """
    result = _mark_paid({"id": payment.pk}, txn_id, amount, currency, source=source, actor=actor, raw=raw,
                        note=note)
    _refresh(payment, result.payment)
    return result


def _mark_paid(key: dict, txn_id: str, amount: int, currency: str, *, source: str, actor=None,
               raw: dict | None = None, note: str = "", log: dict | None = None,
               amount_first: bool = False) -> MarkPaidResult:
    """Mark the payment found by ``key`` (``id``, or ``reference`` and ``gateway``) paid.

    On PostgreSQL the idempotency gate is one conditional UPDATE (state still a source of the
    "confirm" edge, our amount and currency) which, in the same statement, records the
    transition, settles the request and writes ``log`` (the accepted callback); concurrent
    callbacks queue on the row lock and find the state changed. Only a refused gate reads the
    row, to say why. Elsewhere (SQLite in development): lock, check, save.
    """
    if not txn_id:
        raise CallbackRejected("missing_fields", "transaction id")
    amount = int(amount)
    try:
        with transaction.atomic():
            if transaction.get_connection().vendor == "postgresql":
                payment, created, settled, dossier = _confirm_in_one_statement(
                    key, txn_id, amount, currency, source=source, actor=actor, raw=raw, note=note, log=log,
                    amount_first=amount_first)
            else:
                payment, created, settled, dossier = _confirm_locked(
                    key, txn_id, amount, currency, source=source, actor=actor, raw=raw, note=note,
                    amount_first=amount_first)
                if created and log:
                    GatewayCallbackLog.objects.create(**log)
            if not created:
                return MarkPaidResult(payment, created=False)  # the same transaction again
            _settle(payment, settled, dossier)
    except IntegrityError:
        # A transaction id already used by another payment violates the unique constraint: the
        # whole transaction rolled back.
        raise CallbackRejected("transaction_reused", txn_id) from None
    return MarkPaidResult(payment, created=True)


def _explain(row: Payment | None, txn_id: str, amount: int, currency: str, *, amount_first: bool,
             key: dict) -> Payment:
    """Why a payment cannot be confirmed: raise the reason, or return the row when it is already
    paid by this very transaction (idempotent repeat) or may still be confirmed (raced)."""
    if row is None:
        raise CallbackRejected("unknown_order", str(key.get("reference", key.get("id", ""))))

    def check_amount():
        if amount != row.amount:
            raise CallbackRejected("amount_mismatch", f"nhận {amount}, phải là {row.amount}")
        if currency != row.currency:
            raise CallbackRejected("currency_mismatch", f"nhận {currency}, phải là {row.currency}")

    if amount_first:
        check_amount()
    if row.state in (PaymentState.PAID, PaymentState.REFUNDED):
        if row.gateway_transaction_id == txn_id:
            return row
        raise CallbackRejected("already_confirmed", f"đã thanh toán bằng giao dịch {row.gateway_transaction_id}")
    check_amount()
    if not PaymentStateMachine.can(row, "confirm"):
        raise CallbackRejected("invalid_state", f"trạng thái {row.state}")
    return row


def _confirm_locked(key, txn_id, amount, currency, *, source, actor, raw, note, amount_first):
    """Portable path: lock the row, check, save. Returns (payment, created, request settled,
    dossier locked or None)."""
    locked = Payment.objects.select_for_update().filter(**key).first()
    row = _explain(locked, txn_id, amount, currency, amount_first=amount_first, key=key)
    if row.state in (PaymentState.PAID, PaymentState.REFUNDED):
        return row, False, False, None
    PaymentStateMachine.apply(
        locked, "confirm", actor=actor, source=source, note=note,
        update_fields={"gateway_transaction_id": txn_id,
                       "raw_callbacks": [*locked.raw_callbacks, *([raw] if raw else [])]},
    )
    settled = PaymentRequest.objects.filter(pk=locked.request_id, settled_at__isnull=True).update(
        settled_at=locked.paid_at
    )
    return locked, True, bool(settled), None


# Columns of a payment read back from the gate (raw_callbacks is left deferred: never needed here).
_PAYMENT_COLUMNS = [f.column for f in Payment._meta.concrete_fields if f.name != "raw_callbacks"]
_PAYMENT_ATTNAMES = [f.attname for f in Payment._meta.concrete_fields if f.name != "raw_callbacks"]


@functools.cache
def _gate_sql(key: tuple[str, ...], logged: bool) -> str:
    """The gate statement for a payment found by the ``key`` columns (built once per shape)."""
    _, target = PaymentStateMachine.EDGES["confirm"]
    stamp_column = PaymentStateMachine.TIMESTAMPS[target]
    where = " AND ".join(f"{column} = %({column})s" for column in key)
    log_cte = f", logged AS ({LOG_INSERT} SELECT {LOG_VALUES} FROM paid)" if logged else ""
    return (
        f"WITH paid AS (UPDATE payments_payment SET state = %(to_state)s, {stamp_column} = %(at)s, "
        "gateway_transaction_id = %(txn)s, raw_callbacks = raw_callbacks || %(raw)s::jsonb "
        f"WHERE {where} AND state = %(from_state)s AND amount = %(amount)s AND currency = %(currency)s "
        f"RETURNING {', '.join(_PAYMENT_COLUMNS)}), "
        "history AS (INSERT INTO payments_paymenttransition (payment_id, event, from_state, to_state, at, actor_id, "
        "source, note) SELECT id, 'confirm', %(from_state)s, %(to_state)s, %(at)s, %(actor)s, %(source)s, %(note)s "
        "FROM paid), "
        "settled AS (UPDATE payments_paymentrequest r SET settled_at = %(at)s FROM paid "
        f"WHERE r.id = paid.request_id AND r.settled_at IS NULL RETURNING r.id){log_cte} "
        # The dossier too, its row locked for transition() (the CTEs' changes are not visible
        # to this SELECT: still_open leaves out the request settled just above).
        f"SELECT {', '.join('paid.' + c for c in _PAYMENT_COLUMNS)}, EXISTS (SELECT 1 FROM settled), "
        f"{_dossier_columns('paid.request_id')} FROM paid JOIN dossiers_dossier d ON d.id = paid.dossier_id "
        "JOIN catalog_procedure p ON p.id = d.procedure_id FOR UPDATE OF d"
    )


def _confirm_in_one_statement(key, txn_id, amount, currency, *, source, actor, raw, note, log, amount_first):
    """PostgreSQL: the conditional UPDATE as the gate, with the transition, the settlement of the
    request, the callback log and the dossier's row lock in the same statement. Returns like
    :func:`_confirm_locked`."""
    sources, target = PaymentStateMachine.EDGES["confirm"]
    at = timezone.now()
    params = {**key, "to_state": str(target), "at": at, "txn": txn_id, "raw": json.dumps([raw] if raw else []),
              "amount": amount, "currency": currency, "actor": actor.pk if getattr(actor, "pk", None) else None,
              "source": source, "note": note}
    if log:
        params.update(_log_params(log, at))
    sql = _gate_sql(tuple(key), bool(log))
    where = " AND ".join(f"{column} = %({column})s" for column in key)
    from_state = PaymentState.PENDING  # the usual case; a refused gate tells the actual state
    with transaction.get_connection().cursor() as cursor:
        for _ in range(len(sources) + 1):
            cursor.execute(sql, {**params, "from_state": str(from_state)})
            row = cursor.fetchone()
            if row is not None:
                n = len(_PAYMENT_COLUMNS)
                payment = Payment.from_db(cursor.db.alias, _PAYMENT_ATTNAMES, row[:n])
                return payment, True, row[n], _dossier_from_row(row[n + 1:])
            cursor.execute(f"SELECT {', '.join(_PAYMENT_COLUMNS)} FROM payments_payment WHERE {where}", key)
            current = cursor.fetchone()
            if current is not None:
                current = Payment.from_db(cursor.db.alias, _PAYMENT_ATTNAMES, current)
            current = _explain(current, txn_id, amount, currency, amount_first=amount_first, key=key)
            if current.state in (PaymentState.PAID, PaymentState.REFUNDED):
                return current, False, False, None
            from_state = current.state  # changed meanwhile (e.g. expired): try from that state
    raise CallbackRejected("invalid_state", "trạng thái thay đổi liên tục")


def _refresh(target: Payment, source: Payment) -> None:
    deferred = source.get_deferred_fields()
    for f in source._meta.concrete_fields:
        if f.attname not in deferred:
            setattr(target, f.attname, getattr(source, f.attname))


def _settle(payment: Payment, settled: bool, dossier: Dossier | None = None) -> None:
    """Inside mark_paid's transaction, once the request is settled: move the dossier on
    (``dossier``: already read and locked, see :func:`_lock_dossier`)."""
    if not settled:
        log.warning("Payment %s paid a request already settled: refund needed", payment.reference)
        return
    gateway = get_gateway(payment.gateway)
    # Dossier belongs to the dossiers app: its flag is set through transition() or a narrow update.
    flag = {"paid_online": PAID_ONLINE_PROVINCE_PORTAL} if gateway.online else {}
    if dossier is None:
        dossier = _lock_dossier(payment.dossier_id, payment.request_id)
    if dossier.status == Status.PAYMENT_REQUESTED and not dossier.still_open:
        try:
            dossier_transition(
                dossier, "payment_received", Actor(role="system"),
                note=f"Đã thanh toán {format_vnd(payment.amount)} qua {gateway.name} (mã {payment.reference}).",
                data={"payment": payment.reference, "amount": payment.amount, "gateway": payment.gateway},
                update_fields=flag, locked=True,
            )
            return
        except TransitionNotAllowed as exc:  # the money is recorded whatever the dossier does
            log.warning("Payment %s: dossier not moved on: %s", payment.reference, exc)
    if flag:
        Dossier.objects.filter(pk=payment.dossier_id).update(**flag)


@functools.cache
def _dossier_fields() -> tuple[list, list[str], list]:
    """The dossier's concrete fields, their attribute names, and the (index, converters,
    column) of those whose database value needs converting (JSON)."""
    fields = Dossier._meta.concrete_fields
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(Dossier._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return fields, [f.attname for f in fields], converters


def _dossier_columns(request_id: str) -> str:
    """SELECT list of :func:`_dossier_from_row` (tables ``d`` dossier, ``p`` procedure);
    ``still_open``: another request of the dossier, not ``request_id``, still to pay."""
    columns = ", ".join(f'd."{f.column}"' for f in _dossier_fields()[0])
    return (
        f"{columns}, p.name, p.field_id, EXISTS (SELECT 1 FROM payments_paymentrequest r "
        f"WHERE r.dossier_id = d.id AND r.settled_at IS NULL AND r.id <> {request_id})"
    )


def _dossier_from_row(values) -> Dossier:
    """The dossier of a :func:`_dossier_columns` row, with ``still_open`` and its procedure as far
    as the receivers of the transition read it (name for the notice, field for statistics; any
    other field of the procedure loads on access).

    Built by hand: the same SELECT … FOR UPDATE through the ORM, procedure joined and annotated,
    spends ~1.5 ms of CPU compiling and building; this ~0.2 ms.
    """
    fields, names, converters = _dossier_fields()
    row = list(values[: len(fields)])
    for i, found, col in converters:
        for convert in found:
            row[i] = convert(row[i], col, connection)
    dossier = Dossier.from_db(connection.alias, names, row)
    procedure_name, field_id, still_open = values[len(fields):]
    dossier.procedure = Procedure.from_db(connection.alias, ["id", "name", "field_id"],
                                          [dossier.procedure_id, procedure_name, field_id])
    dossier.still_open = bool(still_open)
    return dossier


def _lock_dossier(dossier_id: int, request_id: int) -> Dossier:
    """The dossier, its row locked (not the procedure's) so transition() need not read it again."""
    lock = " FOR UPDATE OF d" if connection.features.has_select_for_update_of else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_dossier_columns('%s')} FROM dossiers_dossier d JOIN catalog_procedure p "
            f"ON p.id = d.procedure_id WHERE d.id = %s{lock}", [request_id, dossier_id],
        )
        return _dossier_from_row(cursor.fetchone())


def mark_failed(payment: Payment, *, source: str = "ipn", note: str = "", raw: dict | None = None) -> bool:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not PaymentStateMachine.can(locked, "fail"):
            return False
        PaymentStateMachine.apply(locked, "fail", source=source, note=note,
                                  update_fields={"raw_callbacks": [*locked.raw_callbacks, *([raw] if raw else [])]})
    _refresh(payment, locked)
    return True


@dataclass
class CallbackOutcome:
    accepted: bool
    reason: str
    payment: Payment | None = None
    data: CallbackData | None = None
    detail: str = ""
    answer: dict = field(default_factory=dict)


def _has_nul(params: dict) -> bool:
    return any("\x00" in str(k) or "\x00" in str(v) for k, v in params.items())


def _scrub(params: dict) -> dict:
    return {str(k).replace("\x00", ""): str(v).replace("\x00", "") for k, v in params.items()}


def _answer(gateway_code: str, reason: str) -> dict:
    try:
        return get_gateway(gateway_code).ipn_answer(reason, False)[0]
    except UnknownGateway:
        return {}


def _log_row(gateway: str, source: str, params: dict, accepted: bool, reason: str, detail: str, remote_addr,
             reference="") -> dict:
    return {
        "gateway": gateway, "source": source, "reference": reference[:64], "params": params,
        "verdict": (GatewayCallbackLog.Verdict.ACCEPTED if accepted else GatewayCallbackLog.Verdict.REJECTED).value,
        "reason": reason, "detail": detail[:2000], "remote_addr": remote_addr or None,
    }


# PostgreSQL: the log row written by one plain statement (every refusal, e.g. a flood of forged
# callbacks, costs a signature check and this INSERT), or inside the accepted payment's gate.
LOG_INSERT = (
    "INSERT INTO payments_gatewaycallbacklog (gateway, source, reference, params, verdict, reason, detail, "
    "remote_addr, at)"
)
LOG_VALUES = (
    "%(log_gateway)s, %(log_source)s, %(log_reference)s, %(log_params)s::jsonb, %(log_verdict)s, %(log_reason)s, "
    "%(log_detail)s, %(log_remote_addr)s::inet, %(log_at)s"
)


def _log_params(row: dict, at) -> dict:
    return {**{f"log_{k}": v for k, v in row.items()}, "log_params": json.dumps(row["params"]), "log_at": at}


def _log(gateway: str, source: str, params: dict, accepted: bool, reason: str, detail: str, remote_addr, reference=""):
    row = _log_row(gateway, source, params, accepted, reason, detail, remote_addr, reference)
    conn = transaction.get_connection()
    if conn.vendor != "postgresql":
        GatewayCallbackLog.objects.create(**row)
        return
    with conn.cursor() as cursor:
        cursor.execute(f"{LOG_INSERT} VALUES ({LOG_VALUES})", _log_params(row, timezone.now()))


def apply_result(gateway, data: CallbackData, *, source: str, raw: dict, log: dict | None = None) -> tuple[Payment, str]:
    """Check a verified result against our record and apply it; returns (payment, reason).

    ``log``: the row logging this message (``_log_row``), written with the outcome as its reason
    in the same transaction when the result is applied; a refusal raises and is not logged here.
    """
    if data.success:
        result = _mark_paid({"reference": data.reference, "gateway": gateway.code}, data.transaction_id, data.amount,
                            data.currency, source=source, raw=raw, amount_first=True,
                            log={**log, "reason": "paid"} if log else None)
        if not result.created:
            raise CallbackRejected("already_confirmed", f"giao dịch {data.transaction_id} đã ghi nhận")
        return result.payment, "paid"
    payment = Payment.objects.filter(reference=data.reference, gateway=gateway.code).first()
    if payment is None:
        raise CallbackRejected("unknown_order", data.reference)
    if data.amount != payment.amount:
        raise CallbackRejected("amount_mismatch", f"nhận {data.amount}, phải là {payment.amount}")
    if data.currency != payment.currency:
        raise CallbackRejected("currency_mismatch", f"nhận {data.currency}, phải là {payment.currency}")
    if payment.state != PaymentState.PENDING:
        raise CallbackRejected("invalid_state", f"trạng thái {payment.state}")
    with transaction.atomic():
        mark_failed(payment, source=source, note=f"Mã kết quả {data.status_code}", raw=raw)
        if log:
            GatewayCallbackLog.objects.create(**{**log, "reason": "failed"})
    return payment, "failed"


def handle_callback(gateway_code: str, params: dict[str, str], *, remote_addr: str | None = None,
                    source: str = "ipn") -> CallbackOutcome:
    """Verify and apply one gateway callback; every outcome is logged with its reason (an applied
    one in the same transaction as the payment)."""
    params = {str(k): str(v) for k, v in params.items()}
    if _has_nul(params):  # never legitimate, and PostgreSQL refuses NUL in text: log it scrubbed
        _log(gateway_code[:20], source, _scrub(params), False, "malformed", "ký tự NUL", remote_addr)
        return CallbackOutcome(False, "malformed", answer=_answer(gateway_code, "malformed"))
    try:
        gateway = get_gateway(gateway_code)
    except UnknownGateway:
        _log(gateway_code[:20], source, params, False, "unknown_gateway", "", remote_addr)
        return CallbackOutcome(False, "unknown_gateway")
    data = None
    try:
        data = gateway.parse_callback(params)
        payment, reason = apply_result(
            gateway, data, source=source, raw=params,
            log=_log_row(gateway.code, source, params, True, "", "", remote_addr, data.reference),
        )
    except CallbackRejected as exc:
        _log(gateway.code, source, params, False, exc.reason, exc.detail, remote_addr, data.reference if data else "")
        body, _ = gateway.ipn_answer(exc.reason, False)
        return CallbackOutcome(False, exc.reason, None, data, exc.detail, body)
    body, _ = gateway.ipn_answer(reason, True)
    return CallbackOutcome(True, reason, payment, data, "", body)


def verify_return(gateway_code: str, params: dict[str, str]) -> tuple[Payment | None, str]:
    """The payer's return from the gateway: verify the signature and show OUR record (the IPN,
    not the browser, changes state). Returns (payment or None, error reason or "")."""
    if _has_nul(params):
        return None, "malformed"
    try:
        gateway = get_gateway(gateway_code)
        data = gateway.parse_callback({str(k): str(v) for k, v in params.items()})
    except UnknownGateway:
        return None, "unknown_gateway"
    except CallbackRejected as exc:
        _log(gateway_code, "return", dict(params), False, exc.reason, exc.detail, None)
        return None, exc.reason
    payment = Payment.objects.filter(reference=data.reference, gateway=gateway.code).select_related("dossier").first()
    return payment, "" if payment else "unknown_order"


# --- bank transfers ------------------------------------------------------------------------------

def confirm_bank_transfer(payment: Payment, actor, bank_ref: str, *, amount: int | None = None) -> MarkPaidResult:
    """Staff confirm that a VietQR transfer arrived (``bank_ref``: the bank's transaction number)."""
    bank_ref = (bank_ref or "").strip()
    if not bank_ref:
        raise PaymentError("Vui lòng nhập mã giao dịch của ngân hàng.")
    if payment.gateway != "vietqr":
        raise PaymentError("Chỉ xác nhận thủ công được khoản chuyển khoản ngân hàng.")
    try:
        return mark_paid(payment, f"vietqr:{bank_ref}", payment.amount if amount is None else amount, "VND",
                         source="staff", actor=actor, note=f"Cán bộ xác nhận chuyển khoản, mã {bank_ref}.")
    except CallbackRejected as exc:
        raise PaymentError(REJECT_MESSAGES.get(exc.reason, "Không xác nhận được khoản thanh toán.")) from exc


REJECT_MESSAGES = {
    "amount_mismatch": "Số tiền không khớp với khoản phải nộp.",
    "currency_mismatch": "Loại tiền không phải VND.",
    "already_confirmed": "Khoản thanh toán này đã được xác nhận trước đó.",
    "transaction_reused": "Mã giao dịch ngân hàng đã được dùng cho khoản thanh toán khác.",
    "invalid_state": "Khoản thanh toán không còn ở trạng thái chờ.",
}

STATEMENT_COLUMNS = {
    "reference": ("ma_giao_dich", "mã giao dịch", "so_tham_chieu", "số tham chiếu", "reference", "transaction id"),
    "amount": ("so_tien", "số tiền", "so_tien_ghi_co", "số tiền ghi có", "credit", "amount"),
    "description": ("noi_dung", "nội dung", "dien_giai", "diễn giải", "description"),
}


@dataclass
class StatementReport:
    matched: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unmatched: int = 0


def import_bank_statement(stream, actor=None) -> StatementReport:
    """Match a bank statement (CSV with a header: transaction reference, credit amount, description)
    to pending VietQR payments by the MC… reference found in the description."""
    text = stream.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    cols = {}
    for key, names in STATEMENT_COLUMNS.items():
        found = next((header[n] for n in names if n in header), None)
        if found is None:
            raise PaymentError(f"Tệp sao kê thiếu cột {' / '.join(names[:2])}.")
        cols[key] = found
    report = StatementReport()
    for lineno, row in enumerate(reader, start=2):
        match = REFERENCE_RE.search((row.get(cols["description"]) or "").upper().replace(" ", ""))
        if not match:
            report.unmatched += 1
            continue
        ref = match.group(0)
        raw_amount = re.sub(r"[.,\s]|VND|đ", "", row.get(cols["amount"]) or "", flags=re.I)
        bank_ref = (row.get(cols["reference"]) or "").strip()
        payment = Payment.objects.filter(reference=ref, gateway="vietqr").first()
        if payment is None:
            report.problems.append(f"Dòng {lineno}: không có khoản thanh toán {ref}.")
            continue
        if not raw_amount.isdigit() or not bank_ref:
            report.problems.append(f"Dòng {lineno}: thiếu số tiền hoặc mã giao dịch.")
            continue
        try:
            result = mark_paid(payment, f"vietqr:{bank_ref}", int(raw_amount), "VND", source="statement", actor=actor,
                               raw={k: v for k, v in row.items() if k}, note=f"Đối chiếu sao kê, mã {bank_ref}.")
        except CallbackRejected as exc:
            _log("vietqr", "statement", dict(row), False, exc.reason, exc.detail, None, ref)
            report.problems.append(f"Dòng {lineno} ({ref}): {REJECT_MESSAGES.get(exc.reason, exc.reason)}")
            continue
        _log("vietqr", "statement", dict(row), True, "paid" if result.created else "already_confirmed", "", None, ref)
        (report.matched if result.created else report.already).append(ref)
    return report


# --- reconciliation, expiry, refunds -------------------------------------------------------------

@dataclass
class ReconcileReport:
    paid: int = 0
    failed: int = 0
    expired: int = 0
    pending: int = 0
    errors: int = 0


def reconcile_payments(now=None) -> ReconcileReport:
    """Ask each gateway's query API about our pending payments (an IPN may have been lost), apply
    what it says through the same checks as a callback, then expire what is past its deadline."""
    now = now or timezone.now()
    report = ReconcileReport()
    for payment in Payment.objects.filter(state=PaymentState.PENDING).order_by("created_at"):
        gateway = get_gateway(payment.gateway)
        result = None
        try:
            result = gateway.query(payment)
            if result is not None and result.status in ("paid", "failed"):
                _, reason = apply_result(gateway, result.data, source="query", raw=result.raw,
                                         log=_log_row(gateway.code, "query", result.raw, True, "", "", None,
                                                      payment.reference))
                setattr(report, reason, getattr(report, reason) + 1)
                continue
        except CallbackRejected as exc:
            _log(gateway.code, "query", result.raw if result else {}, False, exc.reason, exc.detail, None,
                 payment.reference)
            report.errors += 1
            if exc.reason == "query_failed":
                continue  # the gateway did not answer: do not expire what may have been paid
        if payment.expires_at and payment.expires_at < now:
            if expire_payment(payment, note="Quá hạn thanh toán."):
                report.expired += 1
        else:
            report.pending += 1
    return report


def expire_payment(payment: Payment, note: str = "") -> bool:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not PaymentStateMachine.can(locked, "expire"):
            return False
        PaymentStateMachine.apply(locked, "expire", source="system", note=note)
    _refresh(payment, locked)
    return True


def refund_payment(payment: Payment, actor, reason: str, amount: int | None = None) -> Payment:
    """Record a refund made to the payer (through the gateway's merchant portal or the treasury)."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Vui lòng nêu lý do hoàn tiền.")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        amount = locked.amount if amount is None else int(amount)
        if not 0 < amount <= locked.amount:
            raise PaymentError("Số tiền hoàn không hợp lệ.")
        if not PaymentStateMachine.can(locked, "refund"):
            raise PaymentError("Chỉ hoàn tiền được khoản đã thanh toán.")
        PaymentStateMachine.apply(locked, "refund", actor=actor, source="staff", note=reason,
                                  update_fields={"refund_amount": amount, "refund_reason": reason})
    _refresh(payment, locked)
    return payment


# --- receipt -------------------------------------------------------------------------------------

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
GROUPS = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _three(n: int, full: bool) -> str:
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens > 1:
        words += [DIGITS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    elif units:
        if full or hundreds:
            words.append("linh")
        words.append(DIGITS[units])
    return " ".join(words)


def amount_in_words(amount: int) -> str:
    """150000 -> 'Một trăm năm mươi nghìn đồng' (as written on Vietnamese receipts)."""
    amount = int(amount)
    if amount == 0:
        return "Không đồng"
    groups = []
    while amount:
        amount, g = divmod(amount, 1000)
        groups.append(g)
    parts = []
    for i in range(len(groups) - 1, -1, -1):
        if groups[i] == 0:
            continue
        words = _three(groups[i], full=i < len(groups) - 1)
        parts.append(f"{words} {GROUPS[i]}".strip())
    text = " ".join(parts) + " đồng"
    return text[0].upper() + text[1:]


def receipt_context(payment: Payment) -> dict:
    dossier = payment.dossier
    return {
        "payment": payment, "dossier": dossier, "lines": payment.request.lines, "amount_display": format_vnd(payment.amount),
        "amount_words": amount_in_words(payment.amount), "gateway_name": get_gateway(payment.gateway).name,
        "paid_at": timezone.localtime(payment.paid_at) if payment.paid_at else None,
        "agency": dossier.receiving_agency,
    }


def receipt_pdf(payment: Payment) -> bytes:
    """The electronic receipt (biên lai) of a paid payment, as PDF."""
    from motcua.documents.services import render_pdf

    return render_pdf("payments/receipt_pdf.html", receipt_context(payment))
