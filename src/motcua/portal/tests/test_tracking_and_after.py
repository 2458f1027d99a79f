"""Public tracking, lookup without the code, supplement and withdrawal pages."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.dossiers.models import Attachment, Status
from motcua.dossiers.services import Actor, transition
from motcua.dossiers.submission import submit
from motcua.dossiers.tests.conftest import PDF, VALID_CCCD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def submitted(complete_draft, citizen):
    return submit(complete_draft, citizen)


def test_public_tracking_masks_and_shows_status(client, submitted):
    response = client.get("/tra-cuu", {"ma": submitted.code.lower()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mới đăng ký" in html and "N*** V*** A" in html
    assert "Nguyễn Văn An" not in html and VALID_CCCD not in html and "0912345678" not in html
    assert client.get("/tra-cuu", {"ma": "KHONG-CO"}).status_code == 404
    assert client.get("/tra-cuu").status_code == 200


def test_tracking_rate_limit(client, submitted):
    codes = [client.get("/tra-cuu", {"ma": submitted.code}).status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert "quá nhiều lần" in client.get("/tra-cuu", {"ma": submitted.code}).content.decode()
    other = client.get("/tra-cuu", {"ma": submitted.code}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_lookup_without_code_by_otp(client, submitted, django_capture_on_commit_callbacks):
    from motcua.integrations.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tra-cuu/theo-nguoi-nop/", {"step": "request", "contact": "0912 345 678", "identity": VALID_CCCD})
    assert response.status_code == 200 and "mã xác nhận đã được gửi" in response.content.decode()
    message = OutboxMessage.objects.filter(recipient="0912345678", body__contains="tra cứu").latest("id")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert client.post("/tra-cuu/theo-nguoi-nop/", {"step": "verify", "code": "000000" if code != "000000" else "111111"}).status_code == 400
    response = client.post("/tra-cuu/theo-nguoi-nop/", {"step": "verify", "code": code}, follow=True)
    assert submitted.code in response.content.decode()


def test_lookup_without_match_says_the_same_and_sends_nothing(client, submitted):
    from motcua.integrations.models import OutboxMessage

    before = OutboxMessage.objects.count()
    response = client.post("/tra-cuu/theo-nguoi-nop/", {"step": "request", "contact": "0912345678", "identity": "001099099999"})
    assert response.status_code == 200 and "mã xác nhận đã được gửi" in response.content.decode()
    assert OutboxMessage.objects.count() == before


def _request_supplement(dossier, component):
    transition(
        dossier, "request_supplement", Actor(None, "reception", agency=dossier.receiving_agency),
        note="Thiếu bản chụp rõ nét", data={"items": [{"component_id": component.pk, "note": "Ảnh bị mờ"}], "note": "Thiếu bản chụp rõ nét"},
    )


def test_supplement_flow_keeps_versions(client, citizen, submitted, birth_procedure):
    client.force_login(citizen)
    component = birth_procedure.components.order_by("order").first()
    _request_supplement(submitted, component)
    page = client.get(f"/ho-so-cua-toi/{submitted.pk}/").content.decode()
    assert "Cần bổ sung giấy tờ" in page and "Ảnh bị mờ" in page and component.name in page
    public = client.get("/tra-cuu", {"ma": submitted.code}).content.decode()
    assert "Giấy chứng sinh – Ảnh bị mờ" in public
    # resubmitting without the file is refused, nothing changes
    response = client.post(f"/ho-so-cua-toi/{submitted.pk}/bo-sung/", {"note": "đã gửi"})
    assert response.status_code == 400 and "Chưa tải lên giấy tờ cần bổ sung" in response.content.decode()
    response = client.post(
        f"/ho-so-cua-toi/{submitted.pk}/bo-sung/",
        {"note": "Gửi bản rõ", f"upload_{component.pk}": SimpleUploadedFile("ro.pdf", PDF + b"new")},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    versions = list(Attachment.objects.filter(dossier=submitted, component=component).order_by("version").values_list("version", "is_current"))
    assert versions == [(1, False), (2, True)]


def test_withdraw(client, citizen, submitted):
    client.force_login(citizen)
    assert client.post(f"/ho-so-cua-toi/{submitted.pk}/rut/", {"reason": ""}).status_code == 400
    response = client.post(f"/ho-so-cua-toi/{submitted.pk}/rut/", {"reason": "Nộp nhầm thủ tục"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.WITHDRAWN
    assert submitted.events.get(action="withdraw").note == "Nộp nhầm thủ tục"
    again = client.post(f"/ho-so-cua-toi/{submitted.pk}/rut/", {"reason": "lần nữa"})
    assert again.status_code == 409


def test_my_dossiers_filters_and_store(client, citizen, submitted, birth_procedure):
    from motcua.dossiers.submission import start_draft

    start_draft(citizen, birth_procedure)
    client.force_login(citizen)
    html = client.get("/ho-so-cua-toi/").content.decode()
    assert submitted.code in html and "Tiếp tục bản nháp" in html
    drafts_only = client.get("/ho-so-cua-toi/", {"trang_thai": "0"}).content.decode()
    assert submitted.code not in drafts_only and "Tiếp tục bản nháp" in drafts_only
    store = client.get("/kho-du-lieu/").content.decode()
    assert submitted.code in store
    att = Attachment.objects.filter(dossier=submitted).first()
    download = client.get(f"/kho-du-lieu/{att.pk}/tai-ve/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_reuse_on_new_draft_page(client, citizen, submitted, birth_procedure):
    from motcua.dossiers.submission import start_draft

    client.force_login(citizen)
    draft = start_draft(citizen, birth_procedure)
    component = birth_procedure.components.order_by("order").first()
    source = Attachment.objects.filter(dossier=submitted, component=component).first()
    response = client.post(f"/nop-ho-so/nhap/{draft.pk}/", {"action": "upload", f"reuse_{component.pk}": str(source.pk)})
    assert response.status_code == 302
    reused = Attachment.objects.get(dossier=draft)
    assert reused.reused_from_id == source.pk and reused.digitisation == Attachment.Digitisation.REUSED
    draft.refresh_from_db()
    assert draft.reuses_data
