"""The citizen's payment pages, the simulator, receipts, bank transfers, reconciliation, refunds."""

import datetime as dt
import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from motcua.dossiers.models import Status
from motcua.dossiers.services import Actor
from motcua.payments import services
from motcua.payments.models import GatewayCallbackLog, Payment, PaymentState, SimulatorTransaction
from motcua.payments.registry import get_gateway
from motcua.payments.states import PaymentStateError, PaymentStateMachine

from .conftest import CITIZEN_PASSWORD


def login(client, user):
    client.login(username=user.username, password=CITIZEN_PASSWORD)


def pay_on_simulator(client, dossier, gateway="vnpay", action="pay", skip_ipn=False):
    r = client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": gateway})
    assert r.status_code == 302 and r.url.startswith(f"/mo-phong-thanh-toan/{gateway}/?")
    page = client.get(r.url)
    assert "MÔ PHỎNG – KHÔNG PHẢI CỔNG THANH TOÁN THẬT" in page.content.decode()
    data = {"request": urlsplit(r.url).query, "action": action}
    if skip_ipn:
        data["skip_ipn"] = "1"
    back = client.post(f"/mo-phong-thanh-toan/{gateway}/", data)
    assert back.status_code == 302 and back.url.startswith(f"http://testserver/thanh-toan/ket-qua/{gateway}/?")
    return back.url


@pytest.mark.django_db
@pytest.mark.parametrize("gateway", ["vnpay", "national"])
def test_pay_through_simulator_then_receipt(client, awaiting, citizen, gateway):
    dossier = awaiting()
    login(client, citizen)
    page = client.get(f"/thanh-toan/{dossier.pk}/").content.decode()
    assert "10.000 đ" in page and "Cổng thanh toán VNPAY" in page and "Chuyển khoản ngân hàng (VietQR)" in page
    return_url = pay_on_simulator(client, dossier, gateway)
    result = client.get(return_url)
    assert result.status_code == 200 and "Đã thanh toán" in result.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.paid_online == 2
    payment = dossier.payments.get()
    assert payment.state == PaymentState.PAID
    assert "Hồ sơ đã hoàn thành nghĩa vụ tài chính" in client.get(f"/thanh-toan/{dossier.pk}/").content.decode()
    pdf = client.get(f"/thanh-toan/bien-lai/{payment.reference}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert body.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "Mười nghìn đồng" in text and payment.reference in text


@pytest.mark.django_db
def test_cancel_on_simulator_marks_failed_and_allows_retry(client, awaiting, citizen):
    dossier = awaiting()
    login(client, citizen)
    return_url = pay_on_simulator(client, dossier, action="cancel")
    assert "Không thành công" in client.get(return_url).content.decode()
    assert dossier.payments.get().state == PaymentState.FAILED
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    pay_on_simulator(client, dossier)
    assert dossier.payments.filter(state=PaymentState.PAID).count() == 1


@pytest.mark.django_db
def test_return_page_does_not_change_state_and_rejects_forgery(client, awaiting, citizen):
    dossier = awaiting()
    login(client, citizen)
    return_url = pay_on_simulator(client, dossier, skip_ipn=True)  # the IPN is "lost"
    page = client.get(return_url).content.decode()
    assert "Đang chờ thanh toán" in page  # the browser's word is not proof of payment
    assert dossier.payments.get().state == PaymentState.PENDING
    params = dict(parse_qsl(urlsplit(return_url).query))
    params["vnp_Amount"] = "100"
    r = client.get("/thanh-toan/ket-qua/vnpay/", params)
    assert r.status_code == 400 and "Chữ ký" in r.content.decode()
    assert GatewayCallbackLog.objects.filter(source="return", reason="invalid_signature").exists()


@pytest.mark.django_db
def test_pages_are_owner_only(client, awaiting, citizen, other_citizen):
    dossier = awaiting()
    login(client, other_citizen)
    assert client.get(f"/thanh-toan/{dossier.pk}/").status_code == 404
    assert client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": "vnpay"}).status_code == 404
    assert client.get(f"/api/v1/payments/dossiers/{dossier.pk}").status_code == 404
    client.logout()
    assert client.get(f"/thanh-toan/{dossier.pk}/").status_code == 302  # to log-in
    login(client, citizen)
    r = client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": "bitcoin"}, follow=True)
    assert "Phương thức thanh toán không hợp lệ" in r.content.decode()
    assert client.get(f"/api/v1/payments/dossiers/{dossier.pk}").json() == []


@pytest.mark.django_db
def test_simulator_refuses_unsigned_requests_and_is_off_in_production_settings(client, awaiting, citizen, settings):
    dossier = awaiting()
    login(client, citizen)
    url = client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": "vnpay"}).url
    tampered = url.replace("vnp_Amount=1000000", "vnp_Amount=100")
    assert client.get(tampered).status_code == 400
    settings.PAYMENT_SIMULATOR_ENABLED = False
    assert client.get(url).status_code == 404


def test_production_refuses_the_simulator():
    import subprocess
    import sys

    code = "import motcua.settings"
    env = {"MOTCUA_ENV": "production", "SECRET_KEY": "x" * 50, "PAYMENT_SIMULATOR_ENABLED": "true", "PATH": "/usr/bin"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "PAYMENT_SIMULATOR_ENABLED must stay off" in r.stderr
    env.pop("PAYMENT_SIMULATOR_ENABLED")
    probe = "import motcua.settings as s; print(s.PAYMENT_SIMULATOR_ENABLED, repr(s.VNPAY_HASH_SECRET))"
    r = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert r.stdout.strip() == "False ''"


@pytest.mark.django_db
def test_request_payment_rules(make_dossier):
    dossier = make_dossier()
    req = services.request_payment(dossier, Actor(role="system"))
    assert req.amount == 10000 and dossier.status == Status.PAYMENT_REQUESTED
    with pytest.raises(services.TransitionNotAllowed):
        services.request_payment(make_dossier(status=Status.DRAFT), Actor(role="system"))
    with pytest.raises(services.PaymentError):
        services.request_payment(make_dossier(), Actor(role="system"), amount=0)
    custom = make_dossier(status=Status.DECIDED)
    req = services.request_payment(custom, Actor(role="system"), amount=250000)
    assert req.amount == 250000 and "250.000 đ" in req.explanation


@pytest.mark.django_db
def test_vietqr_staff_confirmation(client, awaiting, citizen):
    dossier = awaiting()
    login(client, citizen)
    r = client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": "vietqr"})
    payment = dossier.payments.get()
    assert r.url == f"/thanh-toan/chuyen-khoan/{payment.reference}/"
    page = client.get(r.url).content.decode()
    assert "<svg" in page and payment.reference in page
    from vietnam_qr_pay import QRPay

    qr = QRPay(get_gateway("vietqr").payload(payment))
    assert qr.is_valid and qr.amount == "10000" and qr.additional_data.purpose == payment.reference
    result = services.confirm_bank_transfer(payment, citizen, "FT25001")
    assert result.created and payment.state == PaymentState.PAID
    assert not services.confirm_bank_transfer(payment, citizen, "FT25001").created  # idempotent
    with pytest.raises(services.PaymentError, match="đã được xác nhận"):
        services.confirm_bank_transfer(payment, citizen, "FT25002")
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.paid_online is None  # a transfer is not "online"
    assert payment.transitions.get(event="confirm").source == "staff"


@pytest.mark.django_db
def test_bank_statement_import(awaiting, tmp_path):
    payments = [services.start_payment(awaiting(), "vietqr")[0] for _ in range(3)]
    a, b, c = payments
    csv_text = (
        "Ngày,Mã giao dịch,Số tiền ghi có,Nội dung\n"
        f"01/01/2025,FT1,10.000,NGUYEN VAN AN CK {a.reference} LE PHI\n"
        f"01/01/2025,FT2,5.000,CK {b.reference}\n"
        "01/01/2025,FT3,10000,CHUYEN TIEN AN TRUA\n"
        f"01/01/2025,FT1,10000,{a.reference}\n"
    )
    path = tmp_path / "saoke.csv"
    path.write_text(csv_text, encoding="utf-8")
    out = io.StringIO()
    call_command("import-bank-statement", str(path), stdout=out)
    assert "Khớp mới: 1; đã ghi nhận trước: 1; không có mã thanh toán: 1; cần kiểm tra: 1" in out.getvalue()
    assert "Số tiền không khớp" in out.getvalue()
    for p in payments:
        p.refresh_from_db()
    assert (a.state, b.state, c.state) == (PaymentState.PAID, PaymentState.PENDING, PaymentState.PENDING)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="thiếu cột"):
        call_command("import-bank-statement", str(bad))


@pytest.mark.django_db
def test_state_machine_edges_refund_and_expiry(awaiting, citizen):
    payment, _ = services.start_payment(awaiting(), "vnpay")
    with pytest.raises(PaymentStateError):
        PaymentStateMachine.apply(payment, "refund")
    with pytest.raises(services.PaymentError):
        services.refund_payment(payment, citizen, "Nộp thừa")
    services.mark_paid(payment, "vnpay:1", 10000, "VND")
    with pytest.raises(services.PaymentError, match="lý do"):
        services.refund_payment(payment, citizen, " ")
    services.refund_payment(payment, citizen, "Hồ sơ bị từ chối giải quyết", amount=8000)
    assert payment.state == PaymentState.REFUNDED and payment.refund_amount == 8000
    assert [t.event for t in payment.transitions.all()] == ["create", "confirm", "refund"]
    # Expiry: a stale pending payment expires; a late confirmed transfer is still accepted.
    late, _ = services.start_payment(awaiting(), "vietqr")
    Payment.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.expire_payment(late)
    assert not services.expire_payment(late)
    assert services.confirm_bank_transfer(late, citizen, "FT-LATE").created
    failed, _ = services.start_payment(awaiting(), "vnpay")
    services.mark_failed(failed)
    with pytest.raises(services.CallbackRejected, match="invalid_state"):
        services.mark_paid(failed, "vnpay:2", 10000, "VND")


@pytest.mark.django_db(transaction=True)
def test_reconciliation_queries_the_gateway_over_http(live_server, settings, fee_procedure, agency, citizen):
    """A lost IPN: the simulator processed the payment, reconciliation finds it through the query API."""
    from motcua.dossiers.models import Dossier

    settings.VNPAY_API_URL = f"{live_server.url}/mo-phong-thanh-toan/vnpay/api/"
    settings.NATIONAL_PAY_API_URL = f"{live_server.url}/mo-phong-thanh-toan/national/api/"

    def dossier(n):
        d = Dossier.objects.create(code=f"X-{n}", procedure=fee_procedure, status=Status.SUBMITTED, channel=2,
                                   receiving_agency=agency, competent_agency=agency, owner=citizen, applicant_name="A")
        services.request_payment(d, Actor(role="system"))
        return d

    paid, _ = services.start_payment(dossier(1), "vnpay")
    cancelled, _ = services.start_payment(dossier(2), "national")
    unknown, _ = services.start_payment(dossier(3), "vnpay")
    stale, _ = services.start_payment(dossier(4), "vnpay")
    Payment.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=5))
    SimulatorTransaction.objects.create(gateway="vnpay", reference=paid.reference, transaction_id="9001", amount=10000, status="00")
    SimulatorTransaction.objects.create(gateway="national", reference=cancelled.reference, transaction_id="9002", amount=10000, status="24")
    out = io.StringIO()
    call_command("reconcile-payments", stdout=out)
    assert "1 đã thanh toán, 1 không thành công, 1 hết hạn, 1 còn chờ, 0 lỗi" in out.getvalue()
    states = {p.reference: p.state for p in Payment.objects.all()}
    assert states == {paid.reference: "paid", cancelled.reference: "failed", unknown.reference: "pending",
                      stale.reference: "expired"}
    paid.refresh_from_db()
    assert paid.gateway_transaction_id == "vnpay:9001" and paid.dossier.status == Status.SUBMITTED
    assert paid.transitions.get(event="confirm").source == "query"
    # A tampered query answer (amount lowered in transit) does not verify: nothing changes, logged.
    from motcua.payments.contrib import vnpay

    SimulatorTransaction.objects.create(gateway="vnpay", reference=unknown.reference, transaction_id="9003", amount=10000, status="00")
    real_post = vnpay.post_json

    def tampering_post(url, payload):
        return {**real_post(url, payload), "vnp_Amount": "100"}

    vnpay.post_json = tampering_post
    try:
        report = services.reconcile_payments()
    finally:
        vnpay.post_json = real_post
    assert report.errors == 1 and Payment.objects.get(pk=unknown.pk).state == "pending"
    assert GatewayCallbackLog.objects.filter(source="query", verdict="rejected", reason="invalid_signature").exists()
    # The django-tasks task runs the same reconciliation (immediate backend in tests).
    from motcua.payments.tasks import reconcile_payments_task

    assert reconcile_payments_task.enqueue().return_value["paid"] == 1
    assert Payment.objects.get(pk=unknown.pk).state == "paid"


@pytest.mark.django_db
def test_desk_confirms_a_transfer_on_the_payment_page(client, awaiting, citizen, agency):
    from motcua.accounts.models import User
    from motcua.organisations.models import StaffRole

    dossier = awaiting()
    payment, _ = services.start_payment(dossier, "vietqr", citizen)
    officer = User.objects.create_user(username="tiepnhan", password=CITIZEN_PASSWORD, kind="staff")
    login(client, officer)
    assert client.get(f"/thanh-toan/{dossier.pk}/").status_code == 404  # no role at this agency yet
    StaffRole.objects.create(user=officer, agency=agency, role="specialist")
    page = client.get(f"/thanh-toan/{dossier.pk}/").content.decode()
    assert payment.reference in page and "Xác nhận đã nhận tiền" not in page
    assert client.post(f"/thanh-toan/{dossier.pk}/", {"confirm_reference": payment.reference,
                                                       "bank_ref": "FT9"}).status_code == 403
    StaffRole.objects.create(user=officer, agency=agency, role="reception")
    r = client.post(f"/thanh-toan/{dossier.pk}/", {"confirm_reference": payment.reference, "bank_ref": ""}, follow=True)
    assert "Vui lòng nhập mã giao dịch" in r.content.decode()
    r = client.post(f"/thanh-toan/{dossier.pk}/", {"confirm_reference": payment.reference, "bank_ref": "FT9"}, follow=True)
    assert f"Đã xác nhận khoản chuyển khoản {payment.reference}" in r.content.decode()
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID and payment.transitions.get(event="confirm").actor == officer
    # Staff may not start a payment on the citizen's behalf.
    assert client.post(f"/thanh-toan/{dossier.pk}/", {"gateway": "vnpay"}).status_code == 403
