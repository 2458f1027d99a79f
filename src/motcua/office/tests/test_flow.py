"""Acceptance, counter intake, processing by tasks, approval with a result, return, register."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from motcua.dossiers.models import Attachment, Dossier, Status
from motcua.office.tests.conftest import PDF, submit_dossier
from motcua.workflow.deadlines import compute_appointment
from motcua.workflow.models import Task


def _accept(client, dossier, **extra):
    data = {f"form-{c.pk}": "electronic" for c in dossier.procedure.components.all()}
    data.update({f"count-{c.pk}": "1" for c in dossier.procedure.components.all()})
    data.update(extra)
    return client.post(reverse("office:accept", args=[dossier.pk]), data, REMOTE_ADDR="192.0.2.10")


def test_accept_sets_receipt_appointment_and_starts_workflow(client, desk, submitted):
    client.force_login(desk)
    r = _accept(client, submitted)
    assert r.status_code == 302, r.content.decode()[:500]
    submitted.refresh_from_db()
    assert submitted.status == Status.PROCESSING
    assert submitted.received_at is not None
    assert submitted.appointment_at == compute_appointment(submitted, submitted.received_at)
    event = submitted.events.get(action="accept")
    assert event.client_address == "192.0.2.10" and event.actor == desk and event.actor_role == "reception"
    assert [c["form"] for c in event.data["checks"]] == ["electronic", "electronic"]
    assert Task.objects.filter(dossier=submitted, status=Task.Status.OPEN).exists()
    page = client.get(reverse("office:dossier", args=[submitted.pk])).content.decode()
    assert f"/can-bo/ho-so/{submitted.pk}/phieu/receipt.pdf" in page


def test_accept_refuses_when_a_required_component_is_missing(client, desk, submitted):
    client.force_login(desk)
    first = submitted.procedure.components.first()
    r = _accept(client, submitted, **{f"form-{first.pk}": "none"})
    assert r.status_code == 400
    assert "Hồ sơ còn thiếu" in r.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_processing_claim_forward_approve_return(client, desk, specialist, leader, submitted, django_capture_on_commit_callbacks):
    client.force_login(desk)
    _accept(client, submitted)
    client.force_login(specialist)
    url = reverse("office:dossier", args=[submitted.pk])
    assert "Nhận xử lý" in client.get(url).content.decode()
    assert client.post(reverse("office:claim", args=[submitted.pk])).status_code == 302
    assert Task.objects.get(dossier=submitted, status=Task.Status.CLAIMED).assignee == specialist
    r = client.post(reverse("office:complete_step", args=[submitted.pk]), {"action": "forward", "note": "Đủ điều kiện"})
    assert r.status_code == 302, r.content.decode()[:300]
    # The specialist cannot approve: that is the leader's (403).
    r = client.post(reverse("office:approve", args=[submitted.pk]), {"note": "x"})
    assert r.status_code == 403
    client.force_login(leader)
    result = SimpleUploadedFile("giay-khai-sinh.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("office:approve", args=[submitted.pk]), {"result_file": result, "note": "Đồng ý"})
    assert r.status_code == 302, r.content.decode()[:300]
    submitted.refresh_from_db()
    assert submitted.status == Status.DECIDED and submitted.decided_at is not None and submitted.timeliness
    assert Attachment.objects.filter(dossier=submitted, component=None).count() == 1
    client.force_login(desk)
    r = client.post(
        reverse("office:return_result", args=[submitted.pk]),
        {"receiver_name": "Nguyễn Văn An", "method": "counter", "originals_taken_back": "Giấy chứng sinh"},
        REMOTE_ADDR="192.0.2.11",
    )
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED and submitted.returned_at is not None
    event = submitted.events.get(action="return_result")
    assert event.data == {"receiver_name": "Nguyễn Văn An", "method": "counter", "originals_taken_back": "Giấy chứng sinh"}
    assert event.client_address == "192.0.2.11"
    # Returning twice is a conflict.
    r = client.post(reverse("office:return_result", args=[submitted.pk]), {"receiver_name": "A", "method": "counter"})
    assert r.status_code == 409


def test_leader_stops_with_reason(client, desk, leader, submitted):
    client.force_login(desk)
    _accept(client, submitted)
    client.force_login(leader)
    assert client.post(reverse("office:stop", args=[submitted.pk]), {"reason": ""}).status_code == 400
    r = client.post(reverse("office:stop", args=[submitted.pk]), {"reason": "Người yêu cầu không đủ điều kiện"})
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.STOPPED
    assert submitted.events.get(action="stop").note == "Người yêu cầu không đủ điều kiện"


def test_transfer_to_another_agency_makes_it_visible_there(client, desk, specialist, leader, submitted, other_agency, outsider):
    from motcua.workflow.models import WorkflowStep

    client.force_login(desk)
    _accept(client, submitted)
    task = Task.objects.get(dossier=submitted, status=Task.Status.OPEN)
    WorkflowStep.objects.filter(pk=task.step_id).update(actions=list(set(task.step.actions) | {"transfer", "forward"}))
    client.force_login(specialist)
    client.post(reverse("office:claim", args=[submitted.pk]))
    r = client.post(reverse("office:transfer", args=[submitted.pk]), {"agency": other_agency.pk, "reason": "Xác minh cư trú"})
    assert r.status_code == 302, r.content.decode()[:400]
    client.force_login(outsider)
    assert client.get(reverse("office:dossier", args=[submitted.pk])).status_code == 200
    html = client.get(reverse("office:tasks")).content.decode()
    assert submitted.code in html


def test_counter_intake_creates_accepted_digitised_dossier(client, desk, procedure):
    client.force_login(desk)
    r = client.get(reverse("office:counter") + "?q=khai sinh")
    assert "Đăng ký khai sinh" in r.content.decode()
    c1, c2 = procedure.components.all()
    data = {
        "procedure": procedure.pk,
        "channel": 1,
        "applicant_type": 1,
        "applicant_name": "Phạm Thị Bình",
        "applicant_identity": "031190000123",
        "applicant_phone": "0987654321",
        "result_method": "counter",
        f"component-{c1.pk}": SimpleUploadedFile("to-khai.pdf", PDF),
        f"component-{c2.pk}": SimpleUploadedFile("chung-sinh.pdf", PDF),
    }
    r = client.post(reverse("office:counter") + f"?thu-tuc={procedure.pk}", data, REMOTE_ADDR="192.0.2.20")
    assert r.status_code == 302, r.content.decode()[:800]
    dossier = Dossier.objects.get(applicant_name="Phạm Thị Bình")
    assert dossier.channel == 1 and dossier.status == Status.PROCESSING
    assert re.fullmatch(r"000\.00\.01\.H31-\d{6}-\d{4}", dossier.code)
    assert dossier.appointment_at == compute_appointment(dossier, dossier.received_at)
    assert dossier.attachments.count() == 2
    assert set(dossier.attachments.values_list("digitisation", flat=True)) == {Attachment.Digitisation.DIGITISED}
    assert dossier.events.get(action="receive_at_counter").client_address == "192.0.2.20"


def test_counter_intake_same_code_series_as_online(client, desk, procedure, agency, citizen):
    online = submit_dossier(procedure, agency, citizen)
    client.force_login(desk)
    c1, c2 = procedure.components.all()
    client.post(
        reverse("office:counter") + f"?thu-tuc={procedure.pk}",
        {
            "procedure": procedure.pk, "channel": 3, "applicant_type": 1, "applicant_name": "Bưu Chính",
            "applicant_identity": "031190000124", "result_method": "post", "postal_address": "12 Lạch Tray, Hải Phòng",
            f"component-{c1.pk}": SimpleUploadedFile("a.pdf", PDF), f"component-{c2.pk}": SimpleUploadedFile("b.pdf", PDF),
        },
    )
    postal = Dossier.objects.get(applicant_name="Bưu Chính")
    assert postal.channel == 3
    assert int(postal.code[-4:]) == int(online.code[-4:]) + 1


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("applicant_identity", "12345", "12 chữ số"),
        ("applicant_phone", "12345", "Số điện thoại"),
        ("result_method", "post", "địa chỉ nhận kết quả"),
    ],
)
def test_counter_intake_rejects_bad_input(client, desk, procedure, field, value, message):
    client.force_login(desk)
    c1, c2 = procedure.components.all()
    data = {
        "procedure": procedure.pk, "channel": 1, "applicant_type": 1, "applicant_name": "Phạm Thị Bình",
        "applicant_identity": "031190000123", "result_method": "counter",
        f"component-{c1.pk}": SimpleUploadedFile("a.pdf", PDF), f"component-{c2.pk}": SimpleUploadedFile("b.pdf", PDF),
    }
    data[field] = value
    r = client.post(reverse("office:counter") + f"?thu-tuc={procedure.pk}", data)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not Dossier.objects.filter(applicant_name="Phạm Thị Bình").exists()


def test_counter_intake_rejects_a_non_pdf_scan(client, desk, procedure):
    client.force_login(desk)
    c1, c2 = procedure.components.all()
    r = client.post(
        reverse("office:counter") + f"?thu-tuc={procedure.pk}",
        {
            "procedure": procedure.pk, "channel": 1, "applicant_type": 1, "applicant_name": "Phạm Thị Bình",
            "applicant_identity": "031190000123", "result_method": "counter",
            f"component-{c1.pk}": SimpleUploadedFile("a.pdf", b"MZ not a pdf"), f"component-{c2.pk}": SimpleUploadedFile("b.pdf", PDF),
        },
    )
    assert r.status_code == 400
    assert not Dossier.objects.filter(applicant_name="Phạm Thị Bình").exists()


def test_work_inbox_sorted_by_time_left_and_searchable(client, desk, specialist, procedure, agency, citizen, django_assert_max_num_queries):
    client.force_login(desk)
    dossiers = [submit_dossier(procedure, agency, citizen, name=f"Người {i}", identity=f"00120300012{i}") for i in range(3)]
    for d in dossiers:
        _accept(client, d)
    from django.utils import timezone

    Dossier.objects.filter(pk=dossiers[2].pk).update(appointment_at=timezone.now())
    client.force_login(specialist)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("office:inbox") + "?trang-thai=4").content.decode()
    assert html.index(dossiers[2].code) < html.index(dossiers[0].code)
    assert dossiers[1].code in client.get(reverse("office:inbox") + f"?q={dossiers[1].applicant_identity}").content.decode()
    found = client.get(reverse("office:inbox") + "?q=Người 1").content.decode()
    assert dossiers[1].code in found and dossiers[0].code not in found


def test_dossier_page_query_count_is_constant(client, desk, procedure, agency, citizen, django_assert_max_num_queries):
    client.force_login(desk)
    small = submit_dossier(procedure, agency, citizen)
    _accept(client, small)
    big = submit_dossier(procedure, agency, citizen)
    _accept(client, big)
    for i in range(5):
        client.post(reverse("office:request_supplement", args=[big.pk]), {"other": f"Giấy {i}"})
        Dossier.objects.filter(pk=big.pk).update(status=Status.PROCESSING)
    counts = []
    for d in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("office:dossier", args=[d.pk])).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(20):
        client.get(reverse("office:dossier", args=[big.pk]))


def test_bulk_claim(client, desk, specialist, procedure, agency, citizen):
    client.force_login(desk)
    dossiers = [submit_dossier(procedure, agency, citizen) for _ in range(3)]
    for d in dossiers:
        _accept(client, d)
    client.force_login(specialist)
    ids = list(Task.objects.filter(dossier__in=dossiers, status=Task.Status.OPEN).values_list("pk", flat=True))
    r = client.post(reverse("office:task_bulk"), {"action": "claim", "task": ids})
    assert r.status_code == 302
    assert Task.objects.filter(pk__in=ids, assignee=specialist, status=Task.Status.CLAIMED).count() == 3
    mine = client.get(reverse("office:tasks") + "?cua-toi=1").content.decode()
    assert all(d.code in mine for d in dossiers)


def test_register_csv_and_excel(client, desk, submitted):
    client.force_login(desk)
    _accept(client, submitted)
    r = client.get(reverse("office:register") + "?dinh-dang=csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["STT", "Mã hồ sơ", "Thủ tục"]
    assert rows[1][1] == submitted.code and rows[1][3] == "Nguyễn Văn An"
    r = client.get(reverse("office:register") + "?dinh-dang=xlsx")
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    values = [row for row in wb.active.iter_rows(values_only=True)]
    assert values[1][1] == "Mã hồ sơ" and values[2][1] == submitted.code
    assert client.get(reverse("office:register") + "?tu=2026-13-01").status_code == 400
    assert submitted.code in client.get(reverse("office:register")).content.decode()
