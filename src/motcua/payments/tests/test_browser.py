import re

import pytest
from django.test import Client

from motcua.dossiers.models import Status
from motcua.payments.models import PaymentState


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_pays_fee_on_simulator_and_downloads_receipt(page, live_server, awaiting, citizen):
    dossier = awaiting()
    log_in(page, live_server, citizen)
    page.goto(f"/thanh-toan/{dossier.pk}/")
    assert page.get_by_test_id("amount-due").inner_text() == "10.000 đ"
    assert "Lệ phí: 8.000 đ" in page.content() and "Phí: 2.000 đ" in page.content()
    page.get_by_label(re.compile("Cổng thanh toán VNPAY")).check()
    page.get_by_role("button", name="Tiếp tục thanh toán").click()

    page.wait_for_url("**/mo-phong-thanh-toan/vnpay/**")
    assert page.get_by_role("alert").inner_text() == "MÔ PHỎNG – KHÔNG PHẢI CỔNG THANH TOÁN THẬT"
    assert page.get_by_test_id("sim-amount").inner_text() == "10.000 đ"
    page.get_by_role("button", name="Thanh toán (mô phỏng)").click()

    page.wait_for_url("**/thanh-toan/ket-qua/vnpay/?**")
    assert page.get_by_test_id("return-state").inner_text() == "Đã thanh toán"
    page.get_by_role("link", name="Xem thanh toán của hồ sơ").click()
    page.wait_for_url(f"**/thanh-toan/{dossier.pk}/")
    assert page.get_by_test_id("paid-notice").is_visible()
    assert page.get_by_test_id("payment-state").inner_text().startswith("Đã thanh toán")
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải biên lai (PDF)").click()
    download = info.value
    assert download.suggested_filename.startswith("bien-lai-MC") and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.paid_online == 2
    assert dossier.payments.get().state == PaymentState.PAID
