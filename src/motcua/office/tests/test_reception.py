"""Reception of online dossiers: inbox, check page, supplement request, refusal, errors."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from motcua.dossiers.models import DossierEvent, Status
from motcua.office.tests.conftest import submit_dossier


@pytest.fixture
def desk_client(client, desk):
    client.force_login(desk)
    return client


def test_reception_inbox_lists_new_dossiers_oldest_first(desk_client, procedure, agency, other_agency, citizen):
    first = submit_dossier(procedure, agency, citizen, name="Trần Thị Một")
    second = submit_dossier(procedure, agency, citizen, name="Lê Văn Hai")
    elsewhere = submit_dossier(procedure, other_agency, citizen, name="Người Nơi Khác")
    html = desk_client.get(reverse("office:reception")).content.decode()
    assert first.code in html and second.code in html
    assert html.index(first.code) < html.index(second.code)
    assert elsewhere.code not in html


def test_reception_inbox_pages_without_count(desk_client, procedure, agency, citizen, django_assert_max_num_queries):
    for i in range(52):
        submit_dossier(procedure, agency, citizen, name=f"Người {i}", files=False)
    with django_assert_max_num_queries(6):
        r = desk_client.get(reverse("office:reception"))
    assert len(re.findall(r'href="/can-bo/ho-so/\d+/"', r.content.decode())) == 50
    assert "trang=2" in r.content.decode()
    r2 = desk_client.get(reverse("office:reception") + "?trang=2")
    assert len(re.findall(r'href="/can-bo/ho-so/\d+/"', r2.content.decode())) == 2


def test_specialist_is_not_a_desk(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("office:reception")).status_code == 403


def test_citizen_cannot_open_office(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("office:reception")).status_code == 403


def test_check_page_shows_components_and_opens_files(desk_client, submitted):
    r = desk_client.get(reverse("office:dossier", args=[submitted.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert "Tờ khai đăng ký khai sinh" in html and "Giấy chứng sinh" in html
    assert "Tiếp nhận hồ sơ" in html and "Yêu cầu bổ sung" in html and "Từ chối tiếp nhận" in html
    att = submitted.attachments.first()
    r = desk_client.get(reverse("office:attachment", args=[submitted.pk, att.pk]))
    assert r.status_code == 200
    assert b"".join(r.streaming_content).startswith(b"%PDF")


def test_request_supplement_lists_everything_at_once(desk_client, submitted, procedure):
    c1, c2 = procedure.components.all()
    r = desk_client.post(
        reverse("office:request_supplement", args=[submitted.pk]),
        {"component": [c1.pk, c2.pk], f"note-{c1.pk}": "Thiếu chữ ký", "other": "Giấy xác nhận cư trú", "note": "Bổ sung trong 5 ngày"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUPPLEMENT_REQUESTED
    event = DossierEvent.objects.get(dossier=submitted, action="request_supplement")
    assert event.data == {
        "items": [
            {"component_id": c1.pk, "name": c1.name, "note": "Thiếu chữ ký"},
            {"component_id": c2.pk, "name": c2.name, "note": ""},
            {"component_id": None, "name": "Giấy xác nhận cư trú", "note": ""},
        ],
        "note": "Bổ sung trong 5 ngày",
    }
    assert event.client_address == "10.1.2.3"
    assert event.actor_role == "reception"


def test_request_supplement_needs_an_item(desk_client, submitted):
    r = desk_client.post(reverse("office:request_supplement", args=[submitted.pk]), {"note": "thiếu"})
    assert r.status_code == 400
    assert "ít nhất một giấy tờ" in r.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_refuse_needs_reason_and_records_it(desk_client, submitted):
    r = desk_client.post(reverse("office:refuse", args=[submitted.pk]), {"reason": ""})
    assert r.status_code == 400
    r = desk_client.post(reverse("office:refuse", args=[submitted.pk]), {"reason": "Không thuộc thẩm quyền giải quyết"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.REFUSED
    event = submitted.events.get(action="refuse")
    assert event.note == "Không thuộc thẩm quyền giải quyết" and event.client_address == "10.0.0.9"


def test_invalid_transition_answers_409(desk_client, submitted):
    desk_client.post(reverse("office:refuse", args=[submitted.pk]), {"reason": "Không đủ điều kiện"})
    r = desk_client.post(reverse("office:refuse", args=[submitted.pk]), {"reason": "Lần hai nữa"})
    assert r.status_code == 409
    assert "Không thể «Từ chối tiếp nhận» khi hồ sơ đang ở trạng thái «Không được tiếp nhận»" in r.content.decode()


def test_wrong_role_answers_403(client, specialist, submitted):
    client.force_login(specialist)
    r = client.post(reverse("office:refuse", args=[submitted.pk]), {"reason": "Không đủ điều kiện"})
    assert r.status_code == 403
    assert "không được phép" in r.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_get_on_action_is_refused(desk_client, submitted):
    assert desk_client.get(reverse("office:refuse", args=[submitted.pk])).status_code == 405
