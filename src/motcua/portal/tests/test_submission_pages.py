"""Submission through the citizen pages, including the bad inputs of issue 4."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.dossiers.models import Attachment, Dossier, DossierEvent, Status
from motcua.dossiers.tests.conftest import GOOD_FORM, PDF, PNG, VALID_CCCD

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(client, citizen):
    client.force_login(citizen)
    return client


def _start(client, procedure, token="tok-1"):
    response = client.post(f"/nop-ho-so/{procedure.code}/", {"client_token": token})
    assert response.status_code == 302
    return Dossier.objects.get(pk=int(re.search(r"/nhap/(\d+)/", response["Location"]).group(1)))


def _form(**extra):
    data = {f"ef_{k}": v for k, v in GOOD_FORM.items()}
    data.update(applicant_name="Nguyễn Văn An", applicant_identity=VALID_CCCD, applicant_phone="0912345678", result_method="counter")
    data.update(extra)
    return data


def test_start_requires_login(client, birth_procedure):
    response = client.get(f"/nop-ho-so/{birth_procedure.code}/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_start_is_idempotent_and_prefilled(logged, birth_procedure, citizen):
    page = logged.get(f"/nop-ho-so/{birth_procedure.code}/")
    assert page.status_code == 200 and "Trung tâm Phục vụ hành chính công" in page.content.decode()
    first = _start(logged, birth_procedure, "same")
    second = _start(logged, birth_procedure, "same")
    assert first.pk == second.pk and Dossier.objects.count() == 1
    assert first.applicant_name == "Nguyễn Văn An" and first.applicant_identity == VALID_CCCD
    html = logged.get(f"/nop-ho-so/nhap/{first.pk}/").content.decode()
    assert 'value="Nguyễn Văn An"' in html and 'name="ef_child_name"' in html
    assert 'hx-post="/nop-ho-so/nhap/' in html


def test_full_flow_submit_once(logged, birth_procedure, citizen, django_capture_on_commit_callbacks):
    dossier = _start(logged, birth_procedure)
    components = list(birth_procedure.components.order_by("order"))
    data = _form(action="review", **{
        f"upload_{components[0].pk}": SimpleUploadedFile("chung-sinh.pdf", PDF),
        f"upload_{components[1].pk}": [SimpleUploadedFile("cccd-1.png", PNG), SimpleUploadedFile("cccd-2.pdf", PDF + b"x")],
    })
    response = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"].endswith("/xem-lai/")
    assert Attachment.objects.filter(dossier=dossier).count() == 3
    review = logged.get(f"/nop-ho-so/nhap/{dossier.pk}/xem-lai/").content.decode()
    assert "NGUYỄN THỊ BÌNH" in review and "01/10/2026" in review and "Nộp hồ sơ</button>" in review
    with django_capture_on_commit_callbacks(execute=True):
        first = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/xem-lai/")
    second = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/xem-lai/")
    assert first.status_code == second.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and re.fullmatch(r"000\.00\.31\.H26-\d{6}-0001", dossier.code)
    assert Dossier.objects.count() == 1
    assert DossierEvent.objects.filter(dossier=dossier, action="submit").count() == 1
    page = logged.get(response["Location"].replace("/xem-lai/", "/"), follow=True).content.decode()
    assert dossier.code in page and "Mới đăng ký" in page
    # notification queued through the outbox
    from motcua.integrations.models import OutboxMessage

    assert OutboxMessage.objects.filter(channel="sms", recipient="0912345678", body__contains=dossier.code).exists()
    assert OutboxMessage.objects.filter(channel="email", recipient="an@example.vn").exists()


def test_submit_refused_while_incomplete(logged, birth_procedure):
    dossier = _start(logged, birth_procedure)
    response = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/xem-lai/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Chưa đính kèm giấy tờ bắt buộc: Giấy chứng sinh" in html
    dossier.refresh_from_db()
    assert dossier.status == Status.DRAFT and dossier.code is None


@pytest.mark.parametrize(
    "extra, field, message",
    [
        ({"ef_notes": "x" * 10_000}, "notes", "tối đa 2.000 ký tự"),
        ({"applicant_identity": "123456789"}, None, "12 chữ số"),
        ({"applicant_identity": "999099012345"}, None, "mã tỉnh"),
    ],
)
def test_bad_fields_keep_the_draft(logged, birth_procedure, extra, field, message):
    dossier = _start(logged, birth_procedure)
    assert logged.post(f"/nop-ho-so/nhap/{dossier.pk}/", _form(action="save")).status_code == 302
    response = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/", _form(action="save", ef_child_name="TÊN MỚI", **extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.applicant_identity == VALID_CCCD  # the good value stays
    assert dossier.form_data["child_name"] == "TÊN MỚI"  # other valid edits are kept
    assert "notes" not in dossier.form_data


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("virus.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "Định dạng tệp không được chấp nhận"),
        ("rong.pdf", b"", "Tệp rỗng"),
    ],
)
def test_bad_files_are_refused(logged, birth_procedure, name, content, message):
    dossier = _start(logged, birth_procedure)
    component = birth_procedure.components.first()
    logged.post(f"/nop-ho-so/nhap/{dossier.pk}/", _form(action="upload", **{f"upload_{component.pk}": SimpleUploadedFile("ok.pdf", PDF)}))
    response = logged.post(
        f"/nop-ho-so/nhap/{dossier.pk}/", _form(action="upload", **{f"upload_{component.pk}": SimpleUploadedFile(name, content)})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Attachment.objects.filter(dossier=dossier).values_list("original_name", flat=True)) == ["ok.pdf"]
    dossier.refresh_from_db()
    assert dossier.form_data["child_name"] == GOOD_FORM["child_name"]


def test_file_over_limit(logged, birth_procedure, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    dossier = _start(logged, birth_procedure)
    component = birth_procedure.components.first()
    response = logged.post(
        f"/nop-ho-so/nhap/{dossier.pk}/", _form(action="upload", **{f"upload_{component.pk}": SimpleUploadedFile("lon.pdf", PDF + b"0" * 4096)})
    )
    assert response.status_code == 400 and "Tệp quá lớn" in response.content.decode()
    assert not Attachment.objects.exists()


def test_hostile_names_and_strings_are_inert(logged, birth_procedure):
    dossier = _start(logged, birth_procedure)
    component = birth_procedure.components.first()
    evil = "<script>alert('x')</script>' OR 1=1; DROP TABLE dossiers_dossier; --"
    long_name = "../../../../etc/" + "a" * 5000 + ".pdf"
    response = logged.post(
        f"/nop-ho-so/nhap/{dossier.pk}/",
        _form(action="upload", ef_birth_place=evil[:255], applicant_address=evil[:255],
              **{f"upload_{component.pk}": SimpleUploadedFile(long_name, PDF)}),
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.form_data["birth_place"] == evil[:255]  # stored as typed
    att = Attachment.objects.get(dossier=dossier)
    assert ".." not in att.original_name and "/" not in att.original_name and len(att.original_name) <= 120
    assert att.file.name.startswith(f"dossiers/{dossier.pk}/") and "aaaa" not in att.file.name
    html = logged.get(f"/nop-ho-so/nhap/{dossier.pk}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert Dossier.objects.count() == 1  # the SQL text did nothing


def test_autosave(logged, birth_procedure):
    dossier = _start(logged, birth_procedure)
    response = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/luu/", {"ef_child_name": "AN", "applicant_phone": "0912 345 678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Đã tự động lưu" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.form_data == {"child_name": "AN"} and dossier.applicant_phone == "0912345678"
    bad = logged.post(f"/nop-ho-so/nhap/{dossier.pk}/luu/", {"ef_child_name": "BÌNH", "applicant_identity": "12"})
    assert bad.status_code == 422 and "chưa hợp lệ" in bad.content.decode()
    dossier.refresh_from_db()
    assert dossier.form_data["child_name"] == "BÌNH" and dossier.applicant_identity == VALID_CCCD


def test_other_users_draft_is_hidden(client, birth_procedure, citizen, django_user_model):
    from motcua.dossiers.submission import start_draft

    dossier = start_draft(citizen, birth_procedure)
    other = django_user_model.objects.create_user(username="0987654321", password="x" * 12)
    client.force_login(other)
    assert client.get(f"/nop-ho-so/nhap/{dossier.pk}/").status_code == 404
    assert client.post(f"/nop-ho-so/nhap/{dossier.pk}/luu/", {"ef_child_name": "X"}).status_code == 404
