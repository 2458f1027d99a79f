"""Integration of the citizen side with accounts, payments, the desk and documents: confirmed
contact before submitting, fee shown before committing, payment collected before processing,
results in the document store (reusable by reference), signed result after return, log-in redirect."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from motcua.dossiers.models import Attachment, Dossier, DossierEvent, ResultMethod, Status
from motcua.dossiers.services import Actor, transition
from motcua.dossiers.submission import submit
from motcua.dossiers.tests.conftest import PDF

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dai-1"


@pytest.fixture
def logged(client, citizen):
    client.force_login(citizen)
    return client


@pytest.fixture
def fee_bearing(birth_procedure):
    """Online channel of the birth procedure with a lệ phí of 8.000 đ (no collection policy: before processing)."""
    from motcua.catalog.models import Fee, ProcedureChannel

    channel = ProcedureChannel.objects.create(
        procedure=birth_procedure, channel=2, duration_value=3, duration_unit="working_days"
    )
    Fee.objects.create(channel=channel, kind="le_phi", amount=8000)
    return birth_procedure


@pytest.fixture
def desk(agencies):
    from motcua.accounts.models import User
    from motcua.organisations.models import StaffRole

    user = User.objects.create_user(username="motcua.hb", password=PASSWORD, kind=User.Kind.STAFF, full_name="Cán bộ Một cửa")
    StaffRole.objects.create(user=user, agency=agencies[0], role="reception")
    return user


def review_url(dossier) -> str:
    return f"/nop-ho-so/nhap/{dossier.pk}/xem-lai/"


# --- 1. confirmed contact before submitting ---------------------------------------------------------


def test_unconfirmed_contact_cannot_submit_and_keeps_the_draft(logged, citizen, complete_draft):
    citizen.contact_confirmed = False
    citizen.save(update_fields=["contact_confirmed"])
    before = dict(complete_draft.form_data)

    confirm_link = f'href="/xac-nhan/?next=%2Fnop-ho-so%2Fnhap%2F{complete_draft.pk}%2Fxem-lai%2F"'
    page = logged.get(review_url(complete_draft)).content.decode()
    assert "xác nhận số điện thoại hoặc thư điện tử" in page and confirm_link in page
    assert "Nộp hồ sơ</button>" not in page

    response = logged.post(review_url(complete_draft))
    html = response.content.decode()
    assert response.status_code == 403
    assert confirm_link in html and "Bản nháp của bạn vẫn được giữ nguyên" in html
    complete_draft.refresh_from_db()
    assert complete_draft.status == Status.DRAFT and complete_draft.code is None
    assert complete_draft.form_data == before
    assert Attachment.objects.filter(dossier=complete_draft).count() == 2
    assert not DossierEvent.objects.filter(dossier=complete_draft).exists()

    # confirming through the link comes back to the review, and the same draft goes through
    from motcua.integrations.models import OutboxMessage

    confirm = f"/xac-nhan/?next={review_url(complete_draft)}"
    assert logged.post(confirm, {"action": "resend"}).status_code == 200
    code = re.search(r"\b(\d{6})\b", OutboxMessage.objects.filter(recipient=citizen.phone).latest("id").body).group(1)
    response = logged.post(confirm, {"code": code})
    assert response.status_code == 302 and response["Location"] == review_url(complete_draft)
    assert logged.post(review_url(complete_draft)).status_code == 302
    complete_draft.refresh_from_db()
    assert complete_draft.status == Status.SUBMITTED and complete_draft.code


def test_unconfirmed_contact_refused_by_the_api(client, citizen, complete_draft):
    from motcua.accounts.services import create_api_token

    citizen.contact_confirmed = False
    citizen.save(update_fields=["contact_confirmed"])
    token = create_api_token(citizen, "thử")[1]
    response = client.post(
        f"/api/v1/dossiers/{complete_draft.pk}/submit", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    body = response.json()
    assert "/xac-nhan/" in body["detail"] and body["errors"][0]["field"] == "contact"
    complete_draft.refresh_from_db()
    assert complete_draft.status == Status.DRAFT


# --- 2. fee shown before the citizen commits ---------------------------------------------------------


def test_review_shows_the_fee_quote(logged, fee_bearing, complete_draft):
    html = logged.get(review_url(complete_draft)).content.decode()
    assert "Phí, lệ phí" in html and "8.000 đ" in html and "Thu trước khi giải quyết" in html
    assert 'data-testid="fee-total"' in html


def test_review_shows_nothing_for_a_free_procedure(logged, complete_draft):
    html = logged.get(review_url(complete_draft)).content.decode()
    assert "fee-quote" not in html and "Phí, lệ phí" not in html


# --- 3. payment collected before processing ----------------------------------------------------------


def _accept_at_desk(client, desk, dossier):
    client.force_login(desk)
    data = {}
    for c in dossier.procedure.components.all():
        data[f"form-{c.pk}"] = "electronic"
        data[f"count-{c.pk}"] = "1"
    return client.post(reverse("office:accept", args=[dossier.pk]), data)


def test_fee_due_before_processing_pauses_after_acceptance_until_paid(
    client, citizen, desk, fee_bearing, complete_draft, django_capture_on_commit_callbacks
):
    from motcua.payments import services as payments

    dossier = submit(complete_draft, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = _accept_at_desk(client, desk, dossier)
    assert response.status_code == 302, response.content.decode()[:400]
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED and dossier.paused_from_status == Status.PROCESSING
    moves = list(dossier.events.order_by("at", "id").values_list("action", "from_status", "to_status"))
    assert moves == [
        ("submit", 0, 1), ("accept", 1, 2), ("start_processing", 2, 4), ("request_payment", 4, 6),
    ]
    request = payments.open_request(dossier)
    assert request.amount == 8000

    # "Hồ sơ của tôi": a prominent Thanh toán link, in the list and on the dossier
    client.force_login(citizen)
    pay_url = f"/thanh-toan/{dossier.pk}/"
    listing = client.get("/ho-so-cua-toi/").content.decode()
    assert f'href="{pay_url}"' in listing and ">Thanh toán</a>" in listing
    detail = client.get(f"/ho-so-cua-toi/{dossier.pk}/").content.decode()
    assert 'id="payment-due"' in detail and f'href="{pay_url}"' in detail and "8.000 đ" in detail
    # public tracking says the payment is awaited
    track = client.get("/tra-cuu", {"ma": dossier.code}).content.decode()
    assert "Hồ sơ đang chờ thanh toán phí, lệ phí" in track and f'href="{pay_url}"' in track
    assert client.get(pay_url).status_code == 200

    # paid: back to processing, no new request
    payment, _url = payments.start_payment(dossier, "vnpay", citizen)
    with django_capture_on_commit_callbacks(execute=True):
        payments.mark_paid(payment, "VNP-1", payment.amount, "VND")
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and dossier.paused_from_status is None
    assert dossier.payment_requests.count() == 1
    assert "payment-due" not in client.get(f"/ho-so-cua-toi/{dossier.pk}/").content.decode()
    assert "chờ thanh toán" not in client.get("/tra-cuu", {"ma": dossier.code}).content.decode()


def test_fee_collected_at_result_does_not_pause_processing(
    client, citizen, desk, fee_bearing, complete_draft, django_capture_on_commit_callbacks
):
    from motcua.payments.models import CollectAt, CollectionPolicy

    CollectionPolicy.objects.create(procedure=fee_bearing, collect_at=CollectAt.AT_RESULT)
    dossier = submit(complete_draft, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        assert _accept_at_desk(client, desk, dossier).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and not dossier.payment_requests.exists()


def test_free_procedure_goes_straight_to_processing(
    client, citizen, desk, complete_draft, django_capture_on_commit_callbacks
):
    dossier = submit(complete_draft, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        assert _accept_at_desk(client, desk, dossier).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and not dossier.payment_requests.exists()


# --- 4 and 5. results: store, reuse by reference, download after return -----------------------------


@pytest.fixture
def returned(birth_procedure, agencies, citizen):
    """A dossier returned electronically (status 10) with its signed result."""
    from motcua.documents.models import Result

    commune = agencies[0]
    dossier = Dossier.objects.create(
        code="000.00.31.H26-250101-0001", procedure=birth_procedure, status=Status.RETURNED, receiving_agency=commune,
        competent_agency=commune, owner=citizen, applicant_name="Nguyễn Văn An", result_method=ResultMethod.ELECTRONIC,
    )
    data = PDF + b"% ket qua da ky\n"
    result = Result(
        dossier=dossier, code="KQ.H26.000001", name="Giấy khai sinh", sha256=hashlib.sha256(data).hexdigest(),
        size=len(data), signer_agency=commune, signer_name="Chủ tịch UBND",
    )
    result.file.save("KQ.H26.000001.pdf", ContentFile(data), save=False)
    result.save()
    return dossier, result


def test_returned_result_downloadable_and_verifiable(logged, returned, client):
    dossier, result = returned
    page = logged.get(f"/ho-so-cua-toi/{dossier.pk}/").content.decode()
    download = f"/ho-so-cua-toi/{dossier.pk}/ket-qua/{result.pk}.pdf"
    assert download in page and f"/xac-thuc/{result.pk}/" in page
    response = logged.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    track = client.get("/tra-cuu", {"ma": dossier.code}).content.decode()
    assert f'href="/xac-thuc/{result.pk}/"' in track and "KQ.H26.000001" in track


def test_result_not_offered_before_return(logged, returned, client):
    dossier, result = returned
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.DECIDED)
    assert f"/ket-qua/{result.pk}.pdf" not in logged.get(f"/ho-so-cua-toi/{dossier.pk}/").content.decode()
    assert f"/xac-thuc/{result.pk}/" not in client.get("/tra-cuu", {"ma": dossier.code}).content.decode()
    assert "KQ.H26.000001" not in logged.get("/kho-du-lieu/").content.decode()


def test_store_lists_results_and_a_new_dossier_reuses_one_by_reference(logged, citizen, returned, birth_procedure):
    from motcua.dossiers.submission import start_draft

    old, result = returned
    store = logged.get("/kho-du-lieu/").content.decode()
    assert "Giấy khai sinh" in store and f"/ho-so-cua-toi/{old.pk}/ket-qua/{result.pk}.pdf" in store
    assert f"/xac-thuc/{result.pk}/" in store

    draft = start_draft(citizen, birth_procedure)
    component = birth_procedure.components.get(order=2)
    form = logged.get(f"/nop-ho-so/nhap/{draft.pk}/").content.decode()
    assert f'value="kq-{result.pk}"' in form
    response = logged.post(
        f"/nop-ho-so/nhap/{draft.pk}/", {"action": "upload", f"reuse_{component.pk}": f"kq-{result.pk}"}
    )
    assert response.status_code == 302, response.content.decode()[:400]
    att = Attachment.objects.get(dossier=draft, component=component)
    assert att.digitisation == Attachment.Digitisation.REUSED_RESULT
    assert att.file.name == result.file.name and att.sha256 == result.sha256  # the same stored file
    draft.refresh_from_db()
    assert draft.reuses_data is True
    # removing it from the draft never deletes the signed result's file
    logged.post(f"/nop-ho-so/nhap/{draft.pk}/", {"action": "save", "remove": str(att.pk)})
    assert not Attachment.objects.filter(pk=att.pk).exists()
    assert result.file.storage.exists(result.file.name)


def test_someone_elses_result_cannot_be_reused(client, returned, birth_procedure, django_user_model):
    from motcua.dossiers.submission import start_draft

    _old, result = returned
    other = django_user_model.objects.create_user(username="0987654321", password=PASSWORD, contact_confirmed=True)
    client.force_login(other)
    assert "Giấy khai sinh" not in client.get("/kho-du-lieu/").content.decode()
    draft = start_draft(other, birth_procedure)
    component = birth_procedure.components.get(order=2)
    response = client.post(f"/nop-ho-so/nhap/{draft.pk}/", {"action": "upload", f"reuse_{component.pk}": f"kq-{result.pk}"})
    assert response.status_code == 400
    assert "Không tìm thấy kết quả trong kho dữ liệu của bạn." in response.content.decode()
    assert not Attachment.objects.filter(dossier=draft).exists()


# --- 6. log-in redirect ------------------------------------------------------------------------------


def test_login_sends_staff_to_the_desk_and_citizens_to_their_dossiers(client, citizen, desk):
    response = client.post("/dang-nhap/", {"username": desk.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/can-bo/"
    client.logout()
    response = client.post("/dang-nhap/", {"username": citizen.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/ho-so-cua-toi/"
    client.logout()
    response = client.post("/dang-nhap/?next=/kho-du-lieu/", {"username": citizen.username, "password": PASSWORD})
    assert response["Location"] == "/kho-du-lieu/"
    client.logout()
    response = client.post("/dang-nhap/?next=https://evil.example/", {"username": desk.username, "password": PASSWORD})
    assert response["Location"] == "/can-bo/"
