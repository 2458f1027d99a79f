"""End to end in Chromium: the desk accepts a citizen's dossier, the receipt PDF holds the code and
the appointment, the specialist asks for a supplement, the citizen supplements, the deadline moves
by the waiting time, the leader approves, the desk returns the result, the citizen sees it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from motcua.documents.services import vn_datetime
from motcua.dossiers import submission
from motcua.dossiers.attachments import add_attachment
from motcua.dossiers.models import Dossier, Status
from motcua.office.tests.conftest import PDF, submit_dossier
from motcua.workflow import calendar as cal


def log_in(page, live_server, user):
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_desk_to_citizen_full_cycle(page, live_server, procedure, agency, citizen, desk, specialist, leader, tmp_path):
    dossier = submit_dossier(procedure, agency, citizen)
    code = dossier.code

    # 1. The desk finds the new dossier, checks it and accepts it.
    log_in(page, live_server, desk)
    page.goto("/can-bo/tiep-nhan/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    assert page.get_by_text("Tờ khai đăng ký khai sinh").first.is_visible()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    assert "Đã thực hiện: Tiếp nhận hồ sơ." in page.content()
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and dossier.appointment_at is not None
    first_appointment = dossier.appointment_at

    # 2. The receipt PDF holds the code and the appointment date.
    href = page.get_by_role("link", name=re.compile("Giấy tiếp nhận hồ sơ và hẹn trả kết quả")).get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdftotext(response.body())
    assert code in text
    assert vn_datetime(first_appointment) in " ".join(text.split())

    # 3. The specialist takes the dossier and asks for a supplement of the birth certificate.
    log_in(page, live_server, specialist)
    page.goto("/can-bo/nhiem-vu/?cua-toi=")
    page.get_by_role("link", name=code).click()
    page.get_by_role("button", name="Nhận xử lý").click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    page.locator("summary", has_text="Yêu cầu bổ sung, hoàn thiện hồ sơ").click()
    page.get_by_label("Giấy chứng sinh", exact=True).check()
    page.get_by_label("Nội dung yêu cầu").fill("Bản chụp giấy chứng sinh bị mờ, đề nghị nộp lại.")
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED

    # 4. The citizen supplements a week later (the pause start is moved back to simulate the wait).
    paused_at = timezone.now() - dt.timedelta(days=7)
    Dossier.objects.filter(pk=dossier.pk).update(paused_at=paused_at)
    dossier.refresh_from_db()
    certificate = procedure.components.get(name="Giấy chứng sinh")
    add_attachment(dossier, certificate, ContentFile(PDF, name="chung-sinh-moi.pdf"), user=citizen, replace=True)
    event = submission.supplement(dossier, citizen, note="Đã nộp lại bản rõ")
    dossier.refresh_from_db()
    waited = cal.working_seconds_between(paused_at, event.at, agency=dossier.competent_agency_id)
    assert waited > 0
    assert dossier.status == Status.PROCESSING
    assert dossier.appointment_at == cal.add_working_seconds(first_appointment, waited, agency=dossier.competent_agency_id)
    assert dossier.appointment_at > first_appointment

    # 5. The specialist forwards to the leader, who approves with the result file.
    page.goto(f"/can-bo/ho-so/{dossier.pk}/")
    page.get_by_label("Ý kiến xử lý").fill("Hồ sơ đủ điều kiện, trình lãnh đạo.")
    page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    log_in(page, live_server, leader)
    page.goto(f"/can-bo/ho-so/{dossier.pk}/")
    page.locator("summary", has_text="Phê duyệt kết quả").click()
    result = tmp_path / "giay-khai-sinh.pdf"
    result.write_bytes(PDF)
    page.get_by_label("Tệp kết quả (PDF)").set_input_files(str(result))
    page.get_by_role("button", name="Phê duyệt", exact=True).click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED

    # 6. The desk hands the result over at the counter.
    log_in(page, live_server, desk)
    page.goto(f"/can-bo/ho-so/{dossier.pk}/")
    page.locator("summary", has_text="Trả kết quả").click()
    page.get_by_label("Họ tên người nhận kết quả").fill("Nguyễn Văn An")
    page.get_by_label("Bản gốc đã trả lại cho công dân").fill("Giấy chứng sinh (bản chính)")
    page.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    page.wait_for_url(f"**/can-bo/ho-so/{dossier.pk}/")
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    assert dossier.events.get(action="return_result").data["originals_taken_back"] == "Giấy chứng sinh (bản chính)"

    # 7. The citizen looks the dossier up by its code.
    page.context.clear_cookies()
    page.goto(f"/tra-cuu?ma={code}")
    assert "Đã trả kết quả" in page.content()
