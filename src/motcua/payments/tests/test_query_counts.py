"""Statements of the accepted IPN path (issue 6): the payment's own work is one transaction of a
few statements, without savepoints, and a replay reads the row once to say why it is refused."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers.models import Status
from motcua.payments import services
from motcua.payments.models import GatewayCallbackLog, PaymentState
from motcua.payments.registry import get_gateway

# Real transactions: BEGIN/COMMIT as in production, receivers run after the commit.
pytestmark = pytest.mark.django_db(transaction=True)


def signed_ipn(dossier, txn):
    payment, url = services.start_payment(dossier, "vnpay", dossier.owner)
    params = get_gateway("vnpay").simulate_result(dict(parse_qsl(urlsplit(url).query)), success=True,
                                                  transaction_no=txn)
    return payment, params


def capture(client, params):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/thanh-toan/ipn/vnpay/", params)
    assert r.status_code == 200
    return r.json(), [q["sql"] for q in ctx.captured_queries]


def until_commit(sql):
    """The statements of the callback's own transaction (receivers run after its COMMIT)."""
    return sql[: sql.index("COMMIT") + 1]


@pytest.mark.postgres
def test_accepted_ipn_is_one_short_transaction(client, awaiting):
    assert connection.vendor == "postgresql"
    counts = []
    for n in range(3):  # the first warms the per-process caches; then each costs the same
        dossier = awaiting()
        payment, params = signed_ipn(dossier, f"8100{n}")
        answer, sql = capture(client, params)
        assert answer["RspCode"] == "00"
        own = until_commit(sql)
        # BEGIN, the gate (payment, its history, the request, the log, the dossier locked),
        # the dossier's update with its event in one statement (transition()), COMMIT: 12
        # statements before.
        assert len(own) == 4, own
        assert "FOR UPDATE OF d" in own[1]
        assert own[0] == "BEGIN" and own[1].startswith("WITH paid AS (UPDATE payments_payment")
        assert not any("SAVEPOINT" in s for s in own)
        # Session, authentication, CSRF and messages leave the database alone on this route.
        assert not any("django_session" in s or "accounts_user" in s for s in sql)
        assert sum('"payments_payment"' in s or "payments_payment " in s for s in own) == 1
        reloaded = [s for s in sql[len(own):] if s.startswith('SELECT "catalog_procedure"')]
        assert not reloaded, reloaded  # the receivers use what was loaded with the dossier
        counts.append(len(sql))
        payment.refresh_from_db()
        dossier.refresh_from_db()
        assert payment.state == PaymentState.PAID and dossier.status == Status.SUBMITTED
        log = GatewayCallbackLog.objects.order_by("-id").first()
        assert (log.verdict, log.reason, log.reference) == ("accepted", "paid", payment.reference)
        assert log.params["vnp_TxnRef"] == payment.reference and log.remote_addr == "127.0.0.1"
        assert payment.transitions.filter(event="confirm", from_state="pending").count() == 1
    # With the receivers (pause accounted, statistics; this applicant has no phone: no notice):
    # was 23 before issue 6.
    assert counts[1] == counts[2] <= 6, counts
    # A replay: the refused gate, one read to explain it, then the rejection logged.
    answer, sql = capture(client, params)
    assert answer["RspCode"] == "02"
    assert len(sql) <= 5, sql
    assert GatewayCallbackLog.objects.order_by("-id").first().reason == "already_confirmed"
    # A forged one: the signature check, then one INSERT logging the refusal.
    answer, sql = capture(client, {**params, "vnp_SecureHash": "0" * 128})
    assert answer["RspCode"] == "97" and len(sql) == 1 and sql[0].startswith("INSERT INTO payments_gatewaycallbacklog")
    log = GatewayCallbackLog.objects.order_by("-id").first()
    assert (log.verdict, log.reason, log.params["vnp_SecureHash"]) == ("rejected", "invalid_signature", "0" * 128)


@pytest.mark.postgres
def test_late_payment_of_an_expired_order_goes_through_the_gate(client, awaiting):
    dossier = awaiting()
    payment, params = signed_ipn(dossier, "81100")
    services.expire_payment(payment)
    answer, _ = capture(client, params)
    assert answer["RspCode"] == "00"
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert list(payment.transitions.values_list("event", "from_state")) == [
        ("create", ""), ("expire", "pending"), ("confirm", "expired")]
    assert payment.raw_callbacks[-1]["vnp_TxnRef"] == payment.reference


def test_dossier_moves_on_only_when_its_last_request_is_paid(client, awaiting):
    """The gate reads the dossier in the statement that settles the request: the request it
    settles must not count as still open, another one must."""
    from motcua.payments.models import PaymentRequest

    dossier = awaiting()
    first = dossier.payment_requests.get()
    second = PaymentRequest.objects.create(dossier=dossier, amount=first.amount)
    payment, params = signed_ipn(dossier, "81200")  # pays the newest open request
    assert payment.request_id == second.pk
    assert capture(client, params)[0]["RspCode"] == "00"
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED and dossier.paid_online == 2
    second.refresh_from_db()
    assert second.settled_at is not None
    payment, params = signed_ipn(dossier, "81201")
    assert payment.request_id == first.pk
    assert capture(client, params)[0]["RspCode"] == "00"
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    assert dossier.events.filter(action="payment_received").count() == 1


def test_fee_before_processing_is_quoted_once(make_dossier, fee_procedure, django_assert_num_queries):
    """The receiver on start_processing: whether a request exists, the quote (channels with their
    fees, rules, collection policy), and the same quote passed to request_payment."""
    from motcua.dossiers.services import Actor
    from motcua.payments.models import CollectionPolicy, PaymentRequest
    from motcua.payments.receivers import request_payment_before_processing

    dossier = make_dossier(status=Status.PROCESSING)
    dossier.procedure = fee_procedure
    # exists, 1 for the quote (channels with fees, rules, policies), then request_payment in a
    # transaction: open request?, transition (lock, then UPDATE and event: one statement on
    # PostgreSQL), the request row (16 before: the dossier read again, the quote twice, the policy
    # read for nothing). This dossier has no contact: no notice queued.
    with django_assert_num_queries(8 if connection.vendor == "postgresql" else 9) as ctx:
        made = request_payment_before_processing(dossier, Actor(role="system"))
    assert made is not None and made.amount == 10000 and dossier.status == Status.PAYMENT_REQUESTED
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "catalog_procedurechannel"' in s for s in sql) == 1  # quoted once, not twice
    # Nothing to collect first: the exists check and the quote, no policy read.
    CollectionPolicy.objects.create(procedure=fee_procedure, collect_at="result")
    later = make_dossier(status=Status.PROCESSING)
    later.procedure = fee_procedure
    with django_assert_num_queries(2):  # exists, the quote's one statement
        assert request_payment_before_processing(later, Actor(role="system")) is None
    assert not PaymentRequest.objects.filter(dossier=later).exists()


def test_gate_refuses_a_failed_payment(client, awaiting):
    """The state machine has no failed -> paid edge: a later success for a failed order is
    refused and logged, the payment stays failed."""
    dossier = awaiting()
    payment, params = signed_ipn(dossier, "81300")
    assert services.mark_failed(payment, note="Người nộp hủy")
    answer, _ = capture(client, params)
    assert answer["RspCode"] == "02"
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.state == PaymentState.FAILED and not payment.gateway_transaction_id
    assert dossier.status == Status.PAYMENT_REQUESTED
    log = GatewayCallbackLog.objects.order_by("-id").first()
    assert (log.verdict, log.reason) == ("rejected", "invalid_state")


@pytest.mark.postgres
def test_no_statement_of_a_callback_is_too_big_for_psycopg_to_cache(client, awaiting):
    """psycopg remembers how it parsed a statement only up to 50 parameters (and 4096 characters);
    a bigger one is parsed again on every call. The statistics upsert once passed 56 parameters
    and cost ~0.6 ms of the ~6 ms an accepted callback takes."""
    from psycopg import _queries

    limit_params = getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", 50)
    limit_chars = getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 4096)
    dossier = awaiting()
    dossier.applicant_phone = "0912345678"  # a notice queued too
    dossier.save(update_fields=["applicant_phone"])
    _, params = signed_ipn(dossier, "81400")
    seen = []

    def record(execute, sql, values, many, context):
        seen.append((sql, len(values or ())))
        return execute(sql, values, many, context)

    with connection.execute_wrapper(record):
        assert client.get("/thanh-toan/ipn/vnpay/", params).json()["RspCode"] == "00"
    assert any("stats_dailyrollup" in sql for sql, _ in seen)  # the receivers ran
    too_big = [(sql[:80], n) for sql, n in seen if n > limit_params or len(sql) > limit_chars]
    assert not too_big, too_big
