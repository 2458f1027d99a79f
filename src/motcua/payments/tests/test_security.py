"""Forged, tampered, replayed and misdirected callbacks are refused and logged with a reason."""

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection

from motcua.dossiers.models import Status
from motcua.payments import services
from motcua.payments.contrib import vnpay
from motcua.payments.models import GatewayCallbackLog, Payment, PaymentState
from motcua.payments.registry import get_gateway


def start(dossier, gateway="vnpay"):
    payment, url = services.start_payment(dossier, gateway, dossier.owner)
    return payment, dict(parse_qsl(urlsplit(url).query))


def signed_result(gateway, request_params, success=True, txn="14000001"):
    return get_gateway(gateway).simulate_result(request_params, success=success, transaction_no=txn)


def ipn(client, gateway, params, method="get"):
    r = getattr(client, method)(f"/thanh-toan/ipn/{gateway}/", params)
    assert r.status_code == 200
    return r.json()


def last_log():
    return GatewayCallbackLog.objects.order_by("-id").first()


@pytest.mark.django_db
def test_payment_url_is_signed_per_vnpay_spec(awaiting):
    payment, params = start(awaiting())
    assert params["vnp_Amount"] == "1000000"  # 10.000 đ × 100
    assert params["vnp_TxnRef"] == payment.reference and params["vnp_CurrCode"] == "VND"
    expected = vnpay.sign(params, "dev-vnpay-secret-not-for-production")
    assert params["vnp_SecureHash"] == expected and len(expected) == 128
    # The hashed string is the sorted, url-encoded query without the hash itself.
    data = vnpay.hash_data(params)
    assert data.startswith("vnp_Amount=1000000&vnp_Command=pay") and "vnp_SecureHash" not in data
    assert "vnp_OrderInfo=Thanh+toan+phi" in data


@pytest.mark.django_db
def test_valid_ipn_pays_and_moves_dossier_on(client, awaiting):
    dossier = awaiting()
    assert dossier.status == Status.PAYMENT_REQUESTED
    payment, params = start(dossier)
    assert ipn(client, "vnpay", signed_result("vnpay", params)) == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.state == PaymentState.PAID and payment.gateway_transaction_id == "vnpay:14000001"
    assert dossier.status == Status.SUBMITTED  # resumed where it was paused
    assert dossier.paid_online == 2
    assert dossier.events.filter(action="payment_received", actor_role="system").exists()
    assert list(payment.transitions.values_list("event", flat=True)) == ["create", "confirm"]
    assert last_log().verdict == "accepted" and last_log().remote_addr == "127.0.0.1"


@pytest.mark.django_db
def test_forged_signature_rejected(client, awaiting):
    payment, params = start(awaiting())
    forged = signed_result("vnpay", params)
    forged["vnp_SecureHash"] = vnpay.sign(forged, "attacker-guess")
    assert ipn(client, "vnpay", forged)["RspCode"] == "97"
    missing = {k: v for k, v in signed_result("vnpay", params).items() if k != "vnp_SecureHash"}
    assert ipn(client, "vnpay", missing)["RspCode"] == "97"
    nonascii = {**signed_result("vnpay", params), "vnp_SecureHash": "đ" * 128}
    assert ipn(client, "vnpay", nonascii)["RspCode"] == "97"
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert GatewayCallbackLog.objects.filter(verdict="rejected", reason="invalid_signature").count() == 3


@pytest.mark.django_db
def test_tampered_amount_rejected(client, awaiting):
    payment, params = start(awaiting())
    tampered = {**signed_result("vnpay", params), "vnp_Amount": "100"}  # 1 đ: signature no longer matches
    assert ipn(client, "vnpay", tampered)["RspCode"] == "97"
    # Correctly signed (e.g. a leaked key, or a bug upstream) but for the wrong amount: still refused.
    lowered = signed_result("vnpay", {**params, "vnp_Amount": "100"})
    assert ipn(client, "vnpay", lowered) == {"RspCode": "04", "Message": "Invalid amount"}
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert last_log().reason == "amount_mismatch" and "phải là 10000" in last_log().detail


@pytest.mark.django_db
def test_changed_currency_rejected(client, awaiting):
    payment, params = start(awaiting(), "national")
    result = signed_result("national", params)
    changed = {**result, "currency": "USD"}
    assert ipn(client, "national", changed, "post")["code"] == "97"  # currency is signed
    resigned = signed_result("national", {**params, "currency": "USD"})
    assert ipn(client, "national", resigned, "post") == {"code": "05", "message": "Loại tiền không khớp"}
    assert last_log().reason == "currency_mismatch"
    # VNPAY carries no currency in its result; if one appears it must be VND too.
    vpayment, vparams = start(awaiting())
    vresult = vnpay.VnpayGateway().simulate_result(vparams, success=True, transaction_no="555")
    vresult.pop("vnp_SecureHash")
    vresult["vnp_CurrCode"] = "USD"
    vresult["vnp_SecureHash"] = vnpay.sign(vresult, "dev-vnpay-secret-not-for-production")
    assert ipn(client, "vnpay", vresult)["RspCode"] == "04"
    payment.refresh_from_db()
    vpayment.refresh_from_db()
    assert payment.state == vpayment.state == PaymentState.PENDING
    # The genuine result still goes through afterwards.
    assert ipn(client, "national", result, "post")["code"] == "00"


@pytest.mark.django_db
def test_replayed_callback_rejected_and_recorded_once(client, awaiting):
    payment, params = start(awaiting())
    result = signed_result("vnpay", params)
    assert ipn(client, "vnpay", result)["RspCode"] == "00"
    assert ipn(client, "vnpay", result) == {"RspCode": "02", "Message": "Order already confirmed"}
    # A later signed "failed" for the same order does not undo the payment.
    assert ipn(client, "vnpay", signed_result("vnpay", params, success=False))["RspCode"] == "02"
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert payment.transitions.filter(event="confirm").count() == 1
    assert list(GatewayCallbackLog.objects.order_by("id").values_list("verdict", "reason")) == [
        ("accepted", "paid"), ("rejected", "already_confirmed"), ("rejected", "invalid_state")]


@pytest.mark.django_db
def test_callback_for_another_order_rejected(client, awaiting, make_dossier):
    mine, my_params = start(awaiting())
    theirs, their_params = start(awaiting())
    # A genuine result of one order with the reference swapped to another: the signature breaks.
    swapped = {**signed_result("vnpay", my_params), "vnp_TxnRef": theirs.reference}
    assert ipn(client, "vnpay", swapped)["RspCode"] == "97"
    # Signed for an order we never created, and for another merchant terminal.
    unknown = signed_result("vnpay", {**my_params, "vnp_TxnRef": "MC250101ZZZZZZZZ"})
    assert ipn(client, "vnpay", unknown) == {"RspCode": "01", "Message": "Order not found"}
    other_merchant = signed_result("vnpay", {**my_params, "vnp_TmnCode": "OTHER001"})
    assert ipn(client, "vnpay", other_merchant)["RspCode"] == "99"
    assert last_log().reason == "wrong_merchant"
    # Our vnpay reference sent through the national gateway's endpoint is unknown there.
    national_params = {"merchant_code": "MOTCUA", "order_id": mine.reference, "amount": "10000", "currency": "VND",
                       "create_time": "20250101000000"}
    assert ipn(client, "national", signed_result("national", national_params), "post")["code"] == "01"
    # One bank transaction cannot pay two orders.
    assert ipn(client, "vnpay", signed_result("vnpay", my_params, txn="777"))["RspCode"] == "00"
    assert ipn(client, "vnpay", signed_result("vnpay", their_params, txn="777"))["RspCode"] == "99"
    assert last_log().reason == "transaction_reused"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.state == PaymentState.PAID and theirs.state == PaymentState.PENDING
    reasons = set(GatewayCallbackLog.objects.filter(verdict="rejected").values_list("reason", flat=True))
    assert reasons == {"invalid_signature", "unknown_order", "wrong_merchant", "transaction_reused"}


@pytest.mark.django_db
def test_malformed_and_unknown_gateway(client, awaiting):
    payment, params = start(awaiting())
    result = signed_result("vnpay", params)
    query = "&".join(f"{k}={v}" for k, v in result.items()) + "&vnp_Amount=1"
    r = client.get(f"/thanh-toan/ipn/vnpay/?{query}")
    assert r.status_code == 200 and r.json()["RspCode"] == "99"
    assert last_log().reason == "malformed"
    assert client.get("/thanh-toan/ipn/khong-co/", {"a": "1"}).status_code == 404
    assert last_log().reason == "unknown_gateway"
    assert client.get("/thanh-toan/ipn/vnpay/").json()["RspCode"] == "97"
    nul = {**result, "vnp_TxnRef": payment.reference + "\x00"}
    assert ipn(client, "vnpay", nul)["RspCode"] == "99"
    assert last_log().reason == "malformed" and last_log().params["vnp_TxnRef"] == payment.reference
    assert client.get("/thanh-toan/ket-qua/vnpay/", nul).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_identical_callbacks_record_one_payment(awaiting):
    assert connection.vendor == "postgresql"
    dossier = awaiting()
    payment, params = start(dossier)
    result = signed_result("vnpay", params)
    barrier = threading.Barrier(20)
    outcomes = []

    def hit():
        from django.db import connection as conn

        try:
            barrier.wait()
            outcomes.append(services.handle_callback("vnpay", result, remote_addr="10.0.0.1"))
        finally:
            conn.close()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 20
    assert sum(o.accepted for o in outcomes) == 1
    assert {o.reason for o in outcomes if not o.accepted} == {"already_confirmed"}
    assert Payment.objects.filter(state=PaymentState.PAID).count() == 1
    payment.refresh_from_db()
    assert payment.transitions.filter(event="confirm").count() == 1
    assert dossier.events.filter(action="payment_received").count() == 1
    assert GatewayCallbackLog.objects.filter(verdict="rejected", reason="already_confirmed").count() == 19
