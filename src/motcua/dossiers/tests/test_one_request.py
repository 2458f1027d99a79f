"""POST /api/v1/dossiers/submissions: a complete dossier (applicant data, e-form, files, submit)
in one multipart request, with the checks of the step-by-step flow, nothing stored when refused,
and no duplicate when repeated with the same client_token."""

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers.models import Attachment, Dossier, DossierEvent, Status
from motcua.dossiers.tests.conftest import GOOD_FORM, PDF, VALID_CCCD

pytestmark = pytest.mark.django_db
URL = "/api/v1/dossiers/submissions"


@pytest.fixture
def auth(citizen):
    from motcua.accounts.services import create_api_token

    _, raw = create_api_token(citizen, "kiosk")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def required(birth_procedure):
    return list(birth_procedure.components.filter(required=True).order_by("order"))


def _files(components, content=PDF):
    return {f"component_{c.pk}": SimpleUploadedFile(f"giay-{c.pk}.pdf", content + str(c.pk).encode()) for c in components}


def _post(client, auth, procedure, files, token="kiosk-1", **data):
    body = {"procedure_code": procedure.code, "client_token": token, "form_data": GOOD_FORM, **data}
    return client.post(URL, {"data": json.dumps(body), **files}, **auth)


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_submits_a_complete_dossier_in_one_request(client, auth, birth_procedure, required, citizen,
                                                   django_capture_on_commit_callbacks):
    from motcua.integrations.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, auth, birth_procedure, _files(required), applicant_address="Số 1 Lê Lợi")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.SUBMITTED and body["code"] and body["applicant_identity"] == VALID_CCCD
    assert body["applicant_address"] == "Số 1 Lê Lợi" and body["form_data"]["child_sex"] == "Nữ"
    dossier = Dossier.objects.get(pk=body["id"])
    assert dossier.status == Status.SUBMITTED and dossier.code == body["code"] and dossier.procedure_version_id
    assert dossier.is_digitised and dossier.submitted_at and dossier.current_agency_id == dossier.receiving_agency_id
    files = list(Attachment.objects.filter(dossier=dossier).order_by("component__order"))
    assert [a.component_id for a in files] == [c.pk for c in required] == [a["component_id"] for a in body["attachments"]]
    for attachment, component in zip(files, required):
        content = PDF + str(component.pk).encode()
        assert attachment.sha256 == hashlib.sha256(content).hexdigest() and attachment.version == 1
        assert attachment.content_type == "application/pdf" and attachment.is_current and attachment.uploaded_by == citizen
        with attachment.file.open("rb") as fh:
            assert fh.read() == content
    by_id = {a.pk: a for a in files}  # the ids answered are those of the rows (multi-row INSERT … RETURNING)
    assert {(a["id"], a["component_id"], a["sha256"]) for a in body["attachments"]} == {
        (pk, a.component_id, a.sha256) for pk, a in by_id.items()}
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.action, event.from_status, event.to_status, event.actor_role) == ("submit", 0, 1, "applicant")
    assert OutboxMessage.objects.filter(recipient__in=[citizen.phone, citizen.email]).count() == 2


def test_same_client_token_returns_the_first_dossier(client, auth, birth_procedure, required):
    first = _post(client, auth, birth_procedure, _files(required))
    assert first.status_code == 201
    stored = _stored_files()
    again = _post(client, auth, birth_procedure, _files(required))
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"] and again.json()["code"] == first.json()["code"]
    assert len(again.json()["attachments"]) == 2
    assert Dossier.objects.count() == 1 and Attachment.objects.count() == 2
    assert sorted(_stored_files()) == sorted(stored)  # the repeated files were not kept
    other = _post(client, auth, birth_procedure, _files(required), token="kiosk-2")
    assert other.status_code == 201 and other.json()["code"] != first.json()["code"]


def test_token_of_a_draft_is_refused(client, auth, birth_procedure, required):
    draft = client.post("/api/v1/dossiers/", {"procedure_code": birth_procedure.code, "client_token": "kiosk-1"},
                        content_type="application/json", **auth)
    assert draft.status_code == 201
    response = _post(client, auth, birth_procedure, _files(required))
    assert response.status_code == 409 and "bản nháp" in response.json()["detail"]
    assert Dossier.objects.get().status == Status.DRAFT and not Attachment.objects.exists()


def _nothing_stored():
    assert not Dossier.objects.exists() and not Attachment.objects.exists() and not _stored_files()


def test_missing_required_component_stores_nothing(client, auth, birth_procedure, required):
    response = _post(client, auth, birth_procedure, _files(required[:1]))
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {f"component_{required[1].pk}": f"Chưa đính kèm giấy tờ bắt buộc: {required[1].name}"}
    _nothing_stored()


def test_bad_file_and_foreign_component_are_refused(client, auth, birth_procedure, required):
    files = _files(required)
    files[f"component_{required[0].pk}"] = SimpleUploadedFile("virus.pdf", b"MZ\x90" * 10)
    response = _post(client, auth, birth_procedure, files)
    assert response.status_code == 400 and "Định dạng tệp" in str(response.json()["errors"])
    from motcua.catalog.models import DocumentComponent, Procedure

    other = DocumentComponent.objects.create(procedure=Procedure.objects.create(code="X.1", name="Khác"), name="Khác")
    response = _post(client, auth, birth_procedure, {**_files(required), f"component_{other.pk}": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == f"component_{other.pk}"
    empty = _post(client, auth, birth_procedure, {**_files(required[1:]), f"component_{required[0].pk}": SimpleUploadedFile("a.pdf", b"")})
    assert empty.status_code == 400 and "Tệp rỗng" in str(empty.json()["errors"])
    bad_name = _post(client, auth, birth_procedure, {**_files(required), "tep": SimpleUploadedFile("a.pdf", PDF)})
    assert bad_name.status_code == 400 and "component_<" in bad_name.json()["detail"]
    _nothing_stored()


def test_invalid_data_is_refused_with_vietnamese_messages(client, auth, birth_procedure, required):
    response = _post(client, auth, birth_procedure, _files(required), applicant_identity="12",
                     form_data={**GOOD_FORM, "child_sex": "Khác"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"applicant_identity", "ef_child_sex"}
    incomplete = _post(client, auth, birth_procedure, _files(required), form_data={"child_name": "AN"})
    assert incomplete.status_code == 400 and "ef_mother_name" in {e["field"] for e in incomplete.json()["errors"]}
    for data in ("", "không phải JSON", "[1, 2]"):
        bad = client.post(URL, {"data": data, **_files(required)}, **auth)
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "data", data
    wrong_type = client.post(URL, {"data": json.dumps({"procedure_code": birth_procedure.code, "form_data": "x"})}, **auth)
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["field"] == "form_data"
    no_code = client.post(URL, {"data": json.dumps({"form_data": GOOD_FORM})}, **auth)
    assert no_code.status_code == 400 and no_code.json()["errors"][0]["field"] == "procedure_code"
    for nul in ("1.001193\x00", "kiosk\x00"):  # PostgreSQL cannot store NUL: a 400, never a 500
        bad = _post(client, auth, birth_procedure, _files(required), procedure_code=nul)
        assert bad.status_code == 400 and "NUL" in bad.json()["detail"]
        bad = _post(client, auth, birth_procedure, _files(required), token=nul)
        assert bad.status_code == 400 and "NUL" in bad.json()["detail"]
    unknown = _post(client, auth, birth_procedure, _files(required), procedure_code="KHONG.CO")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Không tìm thấy thủ tục."
    _nothing_stored()


def test_unconfirmed_contact_and_anonymous_are_refused(client, auth, birth_procedure, required, citizen):
    citizen.contact_confirmed = False
    citizen.save(update_fields=["contact_confirmed"])
    response = _post(client, auth, birth_procedure, _files(required))
    assert response.status_code == 403 and "xác nhận" in response.json()["detail"]
    anonymous = _post(client, {}, birth_procedure, _files(required))
    assert anonymous.status_code == 401
    _nothing_stored()


def test_one_request_query_count(client, auth, birth_procedure, required, django_capture_on_commit_callbacks, monkeypatch):
    """Once the catalogue facts, the procedure (by code), its version and the day's counter are
    known: token, BEGIN, dossier, attachments (one INSERT), counter, status update, event, COMMIT,
    then the SMS and e-mail outbox rows (their task-queue rows are stubbed here)."""
    from motcua.integrations import messaging

    monkeypatch.setattr(messaging, "_enqueue", lambda message_id, run_after=None: None)
    monkeypatch.setattr(messaging, "_enqueue_many", lambda message_ids: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, auth, birth_procedure, _files(required), token="warm").status_code == 201
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = _post(client, auth, birth_procedure, _files(required), token="measured")
    assert response.status_code == 201
    sql = [q["sql"][:80] for q in queries.captured_queries]
    assert len(sql) <= 10, "\n".join(sql)


def test_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/dossiers/submissions"]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "data" in body["properties"] and body["additionalProperties"]["format"] == "binary"
    assert {"200", "201", "400", "409"} <= set(operation["responses"])


def test_procedure_by_code_cache_follows_edits(birth_procedure, monkeypatch):
    from motcua.catalog.models import Procedure
    from motcua.dossiers import procedure_facts

    assert procedure_facts.active_procedure(birth_procedure.code) == birth_procedure
    assert procedure_facts.active_procedure("KHONG.CO") is None
    birth_procedure.name = "Đăng ký khai sinh (sửa)"
    birth_procedure.save()  # an edit in this process drops the cache
    assert procedure_facts.active_procedure(birth_procedure.code).name == "Đăng ký khai sinh (sửa)"
    birth_procedure.is_active = False
    birth_procedure.save()
    assert procedure_facts.active_procedure(birth_procedure.code) is None
    Procedure.objects.filter(pk=birth_procedure.pk).update(is_active=True)  # as another worker would
    assert procedure_facts.active_procedure(birth_procedure.code) is not None  # misses are not cached
    Procedure.objects.filter(pk=birth_procedure.pk).update(is_active=False)
    assert procedure_facts.active_procedure(birth_procedure.code) is not None  # cached for TTL seconds
    now = procedure_facts.time.monotonic()
    monkeypatch.setattr(procedure_facts.time, "monotonic", lambda: now + procedure_facts.TTL + 1)
    assert procedure_facts.active_procedure(birth_procedure.code) is None


def test_several_files_for_one_component_are_versions(client, auth, birth_procedure, required):
    files = _files(required)
    first = f"component_{required[0].pk}"
    files[first] = [files[first], SimpleUploadedFile("trang-2.pdf", PDF + b"trang 2")]
    response = _post(client, auth, birth_procedure, files)
    assert response.status_code == 201, response.content
    rows = Attachment.objects.filter(component=required[0]).order_by("version")
    assert [(a.version, a.is_current, a.original_name) for a in rows] == [
        (1, True, f"giay-{required[0].pk}.pdf"), (2, True, "trang-2.pdf")]


def test_answers_are_exactly_what_the_schema_renders(client, auth, birth_procedure, required):
    """The dossier answers are written as JSON directly (no pydantic pass): they must equal what
    ninja renders through DossierOut, for a draft (missing items) and a submitted dossier."""
    from ninja.responses import NinjaJSONEncoder

    from motcua.dossiers.api import DossierOut, _out

    def expected(dossier):
        validated = DossierOut.model_validate(_out(Dossier.objects.select_related("procedure").get(pk=dossier)))
        return json.loads(json.dumps(validated.model_dump(), cls=NinjaJSONEncoder))

    draft = client.post("/api/v1/dossiers/", {"procedure_code": birth_procedure.code, "client_token": "d"},
                        content_type="application/json", **auth)
    assert draft.status_code == 201 and draft.json() == expected(draft.json()["id"]) and draft.json()["missing"]
    done = _post(client, auth, birth_procedure, _files(required))
    assert done.status_code == 201 and done.json() == expected(done.json()["id"])
    assert done.json()["created_at"] and done.json()["submitted_at"] and len(done.json()["attachments"]) == 2
    shown = client.get(f"/api/v1/dossiers/{done.json()['id']}", **auth)
    assert shown.status_code == 200 and shown.json() == done.json()
    assert shown["Content-Type"].startswith("application/json")


@pytest.mark.django_db(transaction=True)
def test_repeated_draft_and_submission_outside_a_transaction(client, auth, birth_procedure, required):
    """In autocommit (as served), the refused second INSERT of a client_token leaves the
    connection usable and answers with the first dossier."""
    post = lambda: client.post("/api/v1/dossiers/", {"procedure_code": birth_procedure.code, "client_token": "t"},  # noqa: E731
                               content_type="application/json", **auth)
    first, again = post(), post()
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    one, two = (_post(client, auth, birth_procedure, _files(required), token="k") for _ in range(2))
    assert (one.status_code, two.status_code) == (201, 200) and one.json()["id"] == two.json()["id"]
    assert Dossier.objects.count() == 2 and Attachment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_files_of_a_committed_dossier_stay_when_a_later_step_fails(client, auth, birth_procedure, required, monkeypatch):
    """Files are removed only when the dossier did not commit: a failure after the commit (here
    the notices, run after it) must not delete the files of a submitted dossier."""
    from motcua.dossiers import notifications

    def broken(*args, **kwargs):
        raise RuntimeError("SMS gateway misconfigured")

    monkeypatch.setattr(notifications, "compose", broken)
    with pytest.raises(RuntimeError):
        _post(client, auth, birth_procedure, _files(required))
    dossier = Dossier.objects.get()
    assert dossier.status == Status.SUBMITTED and Attachment.objects.filter(dossier=dossier).count() == 2
    assert len(_stored_files()) == 2


@pytest.mark.django_db(transaction=True)
def test_files_are_removed_when_the_transaction_fails(client, auth, birth_procedure, required, monkeypatch):
    from motcua.dossiers import submission

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(submission, "allocate_code", broken)
    with pytest.raises(RuntimeError):
        _post(client, auth, birth_procedure, _files(required))
    assert not Dossier.objects.exists() and not Attachment.objects.exists() and not _stored_files()


def test_submission_spec_lists_file_fields_and_form(client, auth, birth_procedure, required):
    spec = client.get(f"/api/v1/dossiers/submissions/{birth_procedure.code}", **auth)
    assert spec.status_code == 200, spec.content
    body = spec.json()
    assert body["eform_code"] == "TK-KS" and "child_name" in body["eform_schema"]["properties"]
    assert [c["id"] for c in body["components"] if c["required"]] == [c.pk for c in required]
    assert client.get("/api/v1/dossiers/submissions/KHONG.CO", **auth).status_code == 404
    assert client.get(f"/api/v1/dossiers/submissions/{birth_procedure.code}").status_code == 401
