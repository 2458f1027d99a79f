import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import services, signing
from motcua.documents.models import FormTemplate, Shipment
from motcua.organisations.models import Agency, Role, StaffRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(dossier, django_user_model):
    get = django_user_model.objects.get
    other_agency = Agency.objects.create(code="000.00.99.H31", name="UBND phường Khác", kind="commune_committee", level="commune")
    outsider = django_user_model.objects.create(username="ngoai", kind="staff", full_name="Cán bộ khác")
    StaffRole.objects.create(user=outsider, agency=other_agency, role=Role.RECEPTION)
    stranger = django_user_model.objects.create(username="0900000000", kind="citizen")
    return {
        "reception": get(username="tiepnhan.mau"),
        "specialist": get(username="chuyenvien.mau"),
        "leader": get(username="lanhdao.mau"),
        "owner": get(username="0912345678"),
        "outsider": outsider,
        "stranger": stranger,
    }


def test_staff_of_the_dossier_agencies_download_forms(client, dossier, users):
    client.force_login(users["reception"])
    response = client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/control_slip.pdf").status_code == 200
    response = client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/apology.pdf?ngay_hen_moi=2026-11-30&ly_do=Ch%E1%BA%ADm")
    assert response.status_code == 200
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/apology.pdf?ngay_hen_moi=30-11").status_code == 400
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/nonsense.pdf").status_code == 404


def test_staff_of_another_agency_and_citizens_are_refused(client, dossier, users):
    client.force_login(users["outsider"])
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/receipt.pdf").status_code == 403
    client.force_login(users["stranger"])
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/receipt.pdf").status_code == 403
    client.logout()
    assert client.get(f"/can-bo/ho-so/{dossier.pk}/phieu/receipt.pdf").status_code == 302


def test_owner_downloads_only_own_issued_forms(client, dossier, users):
    client.force_login(users["owner"])
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/receipt.pdf").status_code == 200
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/stop_notice.pdf").status_code == 200
    # Never refused, no control slip for applicants.
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/refusal.pdf").status_code == 404
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/control_slip.pdf").status_code == 404
    client.force_login(users["stranger"])
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/receipt.pdf").status_code == 404


def test_leader_issues_results_and_owner_sees_them(client, pki, dossier, users):
    signing.issue_agency_p12(dossier.competent_agency, overwrite=True)
    url = f"/can-bo/ho-so/{dossier.pk}/ket-qua/"
    client.force_login(users["specialist"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Giấy khai sinh"}).status_code == 403
    client.force_login(users["leader"])
    response = client.post(url, {"name": "Giấy khai sinh"})
    assert response.status_code == 302
    bad = client.post(url, {"name": "Bản scan", "file": SimpleUploadedFile("a.png", b"\x89PNG....", "image/png")})
    assert bad.status_code == 400 and "Kết quả phải là tệp PDF." in bad.content.decode()
    upload = services.render_certificate(dossier)
    assert client.post(url, {"name": "Quyết định", "file": SimpleUploadedFile("qd.pdf", upload, "application/pdf")}).status_code == 302

    results = list(services.results_for_user(users["owner"]))
    assert [r.name for r in results] == ["Quyết định", "Giấy khai sinh"]
    assert list(services.results_for_user(users["stranger"])) == []
    client.force_login(users["owner"])
    response = client.get(f"/ho-so-cua-toi/{dossier.pk}/ket-qua/{results[0].pk}.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(users["stranger"])
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/ket-qua/{results[0].pk}.pdf").status_code == 404


def test_shipments_are_recorded_idempotently_and_counted_by_channel(dossier):
    s1 = services.record_shipment(dossier, carrier="VNPost", tracking_code="ee123456789vn")
    s2 = services.record_shipment(dossier, carrier="VNPost", tracking_code="EE123456789VN", status="delivered")
    again = services.record_shipment(dossier, carrier="VNPost", tracking_code="EE123456789VN", status="in_transit")
    assert s1.pk == s2.pk == again.pk
    shipment = Shipment.objects.get()
    assert shipment.status == "delivered" and shipment.delivered_at is not None  # no step back
    assert services.shipments_by_channel() == {dossier.channel: 1}
    with pytest.raises(Exception, match="Trạng thái"):
        services.record_shipment(dossier, carrier="VNPost", tracking_code="X1", status="lost")


def test_admin_preview_of_an_edited_template(client, dossier, django_user_model):
    admin = django_user_model.objects.create_superuser("quantri", "qt@example.vn", "mat-khau-dai-123")
    client.force_login(admin)
    template = FormTemplate.objects.create(
        code="receipt", version=1,
        html='{% extends "documents/forms/base.html" %}{% block content %}<h1>Bản sửa thử</h1>{% endblock %}',
    )
    pdf = client.get(f"/quan-tri/documents/formtemplate/{template.pk}/xem-truoc.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    png = client.get(f"/quan-tri/documents/formtemplate/{template.pk}/xem-truoc.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    broken = FormTemplate.objects.create(code="refusal", version=1, html="{% if %}")
    assert client.get(f"/quan-tri/documents/formtemplate/{broken.pk}/xem-truoc.pdf").status_code == 400
    # Editing saves a new version and keeps the old one.
    response = client.post(
        f"/quan-tri/documents/formtemplate/{template.pk}/change/",
        {"code": "receipt", "html": template.html + "<!-- v2 -->", "note": "sửa", "is_active": "on"},
    )
    assert response.status_code == 302
    versions = list(FormTemplate.objects.filter(code="receipt").values_list("version", "is_active"))
    assert sorted(versions) == [(1, False), (2, True)]


def test_staff_record_a_shipment(client, dossier, users):
    client.force_login(users["reception"])
    url = f"/can-bo/ho-so/{dossier.pk}/buu-chinh/"
    assert client.post(url, {"carrier": "VNPost", "tracking_code": "EE1VN", "status": "picked_up"}).status_code == 302
    assert Shipment.objects.get().picked_up_at is not None
    bad = client.post(url, {"carrier": "VNPost", "tracking_code": "", "status": "created"})
    assert bad.status_code == 400 and "mã vận đơn" in bad.content.decode()
    page = client.get(f"/can-bo/ho-so/{dossier.pk}/ket-qua/")
    assert "EE1VN" in page.content.decode()
    client.force_login(users["outsider"])
    assert client.post(url, {"carrier": "VNPost", "tracking_code": "X"}).status_code == 403


def test_owner_apology_comes_from_the_recorded_event_only(client, dossier, users):
    from django.utils import timezone

    from motcua.documents.tests.test_forms import pdftotext
    from motcua.dossiers.models import DossierEvent

    client.force_login(users["owner"])
    assert client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/apology.pdf").status_code == 404  # none issued yet
    DossierEvent.objects.create(
        dossier=dossier, action="extend_deadline", actor=users["leader"], actor_role="leader", at=timezone.now(),
        data={"new_date": "2026-11-30T16:00:00+07:00", "reason": "Chờ kết quả xác minh"},
    )
    response = client.get(f"/ho-so-cua-toi/{dossier.pk}/phieu/apology.pdf?ly_do=Noi+dung+gia+mao")
    assert response.status_code == 200
    text = pdftotext(response.content)
    assert "Chờ kết quả xác minh" in text and "gia mao" not in text
    assert "16 giờ 00 phút, ngày 30/11/2026" in text
