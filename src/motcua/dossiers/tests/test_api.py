"""The applicant API: token auth, drafts, files, submit (idempotent), supplement, withdraw, tracking."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.dossiers.models import Attachment, Dossier, Status
from motcua.dossiers.services import Actor, transition
from motcua.dossiers.tests.conftest import GOOD_FORM, PDF, VALID_CCCD

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(citizen):
    from motcua.accounts.services import create_api_token

    _, raw = create_api_token(citizen, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _draft(client, auth, procedure, token="t1"):
    response = client.post(
        "/api/v1/dossiers/", {"procedure_code": procedure.code, "client_token": token}, content_type="application/json", **auth
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_requires_authentication(client):
    response = client.get("/api/v1/dossiers/")
    assert response.status_code == 401 and "đăng nhập" in response.json()["detail"]


def test_full_api_flow(client, auth, birth_procedure, django_capture_on_commit_callbacks):
    cache.clear()
    draft = _draft(client, auth, birth_procedure)
    assert _draft(client, auth, birth_procedure)["id"] == draft["id"]  # same client_token
    assert draft["applicant_identity"] == VALID_CCCD and draft["status"] == 0
    assert {m["field"] for m in draft["missing"]} >= {"ef_child_name"}
    url = f"/api/v1/dossiers/{draft['id']}"
    response = client.patch(url, {"form_data": GOOD_FORM}, content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["form_data"]["child_sex"] == "Nữ"
    bad = client.patch(url, {"form_data": {"notes": "y" * 10_000}, "applicant_identity": "12"}, content_type="application/json", **auth)
    assert bad.status_code == 400
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"notes", "applicant_identity"}
    early = client.post(f"{url}/submit", **auth)
    assert early.status_code == 400 and "Giấy chứng sinh" in str(early.json()["errors"])
    for component in birth_procedure.components.filter(required=True):
        up = client.post(f"{url}/attachments", {"component_id": component.pk, "file": SimpleUploadedFile("a.pdf", PDF)}, **auth)
        assert up.status_code == 201 and up.json()["content_type"] == "application/pdf"
    exe = client.post(f"{url}/attachments", {"component_id": component.pk, "file": SimpleUploadedFile("a.pdf", b"MZ\x90" * 10)}, **auth)
    assert exe.status_code == 400 and "Định dạng tệp" in exe.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"{url}/submit", **auth)
    assert done.status_code == 200
    code = done.json()["code"]
    assert done.json()["status"] == 1 and code
    again = client.post(f"{url}/submit", **auth)
    assert again.status_code == 200 and again.json()["code"] == code and Dossier.objects.count() == 1
    listing = client.get("/api/v1/dossiers/?status=1", **auth).json()
    assert [d["code"] for d in listing] == [code]
    public = client.get(f"/api/v1/dossiers/tracking/{code}")
    assert public.status_code == 200
    assert public.json()["applicant"] == "N*** V*** A" and public.json()["status_label"] == "Mới đăng ký"
    assert "applicant_identity" not in public.json()
    # supplement
    dossier = Dossier.objects.get(code=code)
    transition(dossier, "request_supplement", Actor(None, "reception"), data={"items": [{"component_id": component.pk, "note": "mờ"}]})
    detail = client.get(url, **auth).json()
    assert detail["supplement_items"][0]["component_id"] == component.pk
    assert client.post(f"{url}/supplement", {"note": ""}, content_type="application/json", **auth).status_code == 400
    client.post(f"{url}/attachments", {"component_id": component.pk, "file": SimpleUploadedFile("b.pdf", PDF + b"2")}, **auth)
    assert client.post(f"{url}/supplement", {"note": "xong"}, content_type="application/json", **auth).status_code == 200
    assert Attachment.objects.filter(dossier=dossier, component=component, is_current=False).count() == 1
    # withdraw
    response = client.post(f"{url}/withdraw", {"reason": "Không cần nữa"}, content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["status"] == Status.WITHDRAWN
    assert client.post(f"{url}/withdraw", {"reason": "x"}, content_type="application/json", **auth).status_code == 409


def test_someone_elses_dossier_is_404(client, auth, birth_procedure, django_user_model):
    from motcua.dossiers.submission import start_draft

    other = django_user_model.objects.create_user(username="0987654321", password="x" * 12)
    theirs = start_draft(other, birth_procedure)
    response = client.get(f"/api/v1/dossiers/{theirs.pk}", **auth)
    assert response.status_code == 404 and response.json()["detail"]


def test_tracking_unknown_and_rate_limited(client):
    cache.clear()
    assert client.get("/api/v1/dossiers/tracking/KHONG-CO").status_code == 404
    statuses = [client.get("/api/v1/dossiers/tracking/X").status_code for _ in range(21)]
    assert statuses[-1] == 429
    cache.clear()
