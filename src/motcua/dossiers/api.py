"""Dossier API for applicants (token or session): drafts, e-form data, files, submit, supplement,
withdraw; and public tracking by code (masked). Errors: {"detail": "...", "errors": [...]}."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder
from ninja.responses import Status as Reply
from pydantic import ValidationError as SchemaError

from motcua.accounts.auth import api_auth
from motcua.dossiers import procedure_facts
from motcua.dossiers.attachments import AttachmentRejected, add_attachment, reuse_attachment
from motcua.dossiers.models import Attachment, Dossier, Status
from motcua.dossiers.submission import (
    SubmissionError,
    completeness_errors,
    component_list,
    save_draft,
    start_draft_created,
    submit,
    submit_complete,
    supplement,
    supplement_request,
    withdraw,
)
from motcua.dossiers.tracking import RATE_LIMIT_MESSAGE, client_ip, lookup, rate_limited

router = Router(auth=api_auth)


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}


def _error(status: int, detail: str, errors: dict | None = None):
    return Reply(status, {"detail": detail, "errors": [{"field": k, "message": v} for k, v in (errors or {}).items()]})


class AttachmentOut(Schema):
    id: int
    component_id: int | None
    original_name: str
    content_type: str
    size: int
    sha256: str
    version: int
    is_current: bool
    digitisation: int
    reused_from_id: int | None


class DossierOut(Schema):
    id: int
    code: str | None
    status: int
    status_label: str
    procedure_code: str
    procedure_name: str
    case_id: int | None
    receiving_agency_id: int
    competent_agency_id: int
    applicant_type: int
    applicant_name: str
    applicant_identity: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    delegate_name: str
    delegate_identity: str
    delegate_phone: str
    result_method: str
    postal_address: str
    form_data: dict
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    appointment_at: dt.datetime | None
    reuses_data: bool
    attachments: list[AttachmentOut]
    missing: list[ErrorItem] = []
    supplement_items: list[dict] = []


def _out(dossier: Dossier, attachments: list | None = None) -> dict:
    """The answer for ``dossier``; ``attachments``: all its files when the caller already has them."""
    data = {f.attname: getattr(dossier, f.attname) for f in dossier._meta.concrete_fields}
    if attachments is None:
        attachments = list(Attachment.objects.filter(dossier=dossier).order_by("component_id", "version"))
    else:
        attachments = sorted(attachments, key=lambda a: (a.component_id or 0, a.version))
    data.update(
        status_label=Status(dossier.status).label,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.name,
        attachments=attachments,
        missing=[],
        supplement_items=[],
    )
    if dossier.status == Status.DRAFT:
        data["missing"] = [{"field": k, "message": v} for k, v in completeness_errors(dossier, attachments).items()]
    if dossier.status == Status.SUPPLEMENT_REQUESTED:
        request = supplement_request(dossier) or {"items": []}
        data["supplement_items"] = [
            {"component_id": i.get("component_id"), "component": i["component"].name if i.get("component") else "", "note": i.get("note", "")}
            for i in request["items"]
        ]
    return data


_ATTACHMENT_FIELDS = tuple(AttachmentOut.model_fields)
_DOSSIER_FIELDS = tuple(DossierOut.model_fields)


def _reply(status: int, data: dict) -> HttpResponse:
    """``data`` (from ``_out``) as the JSON ninja would render for DossierOut, written directly:
    the values already have the schema's types, and re-validating ~35 fields and the attachments
    through pydantic cost about 5% of a one-request submission's CPU. A test compares both."""
    data = {name: data[name] for name in _DOSSIER_FIELDS}
    data["attachments"] = [{name: getattr(a, name) for name in _ATTACHMENT_FIELDS} for a in data["attachments"]]
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), status=status, content_type="application/json; charset=utf-8")


def _mine(request, dossier_id: int) -> Dossier:
    return get_object_or_404(Dossier.objects.select_related("procedure"), pk=dossier_id, owner=request.auth)


class DraftIn(Schema):
    procedure_code: str
    case_id: int | None = None
    receiving_agency_id: int | None = None
    client_token: str = ""


@router.post("/", response={201: DossierOut, **ERRORS}, summary="Tạo bản nháp hồ sơ")
def create_draft(request, payload: DraftIn):
    """Idempotent with ``client_token``: repeating the call returns the same draft."""
    procedure = procedure_facts.active_procedure(payload.procedure_code[:20])
    if procedure is None:
        return _error(404, "Không tìm thấy thủ tục.")
    case = procedure.cases.filter(pk=payload.case_id).first() if payload.case_id else None
    if payload.case_id and case is None:
        return _error(400, "Trường hợp không thuộc thủ tục này.", {"case_id": "Trường hợp không hợp lệ."})
    from motcua.organisations.models import Agency

    agency = Agency.objects.filter(pk=payload.receiving_agency_id).first() if payload.receiving_agency_id else None
    if payload.receiving_agency_id and agency is None:
        return _error(400, "Nơi tiếp nhận không hợp lệ.", {"receiving_agency_id": "Không tìm thấy cơ quan."})
    try:
        dossier, created = start_draft_created(
            request.auth, procedure, case=case, receiving_agency=agency, client_token=payload.client_token
        )
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    return _reply(201, _out(dossier, [] if created else None))  # a draft made now has no file yet


class DraftUpdate(Schema):
    applicant_type: int | None = None
    applicant_name: str | None = None
    applicant_identity: str | None = None
    applicant_phone: str | None = None
    applicant_email: str | None = None
    applicant_address: str | None = None
    delegate_name: str | None = None
    delegate_identity: str | None = None
    delegate_phone: str | None = None
    result_method: str | None = None
    postal_address: str | None = None
    case_id: int | None = None
    receiving_agency_id: int | None = None
    form_data: dict | None = None


@router.patch("/{int:dossier_id}", response={200: DossierOut, **ERRORS}, summary="Cập nhật bản nháp")
def update_draft(request, dossier_id: int, payload: DraftUpdate):
    """Valid fields are saved; refused ones keep their previous value and are listed in a 400."""
    dossier = _mine(request, dossier_id)
    raw = payload.dict(exclude_unset=True)
    form_data = raw.pop("form_data", None)
    if "case_id" in raw:
        raw["case"] = raw.pop("case_id") or ""
    if "receiving_agency_id" in raw:
        raw["receiving_agency"] = raw.pop("receiving_agency_id") or ""
    raw = {k: ("" if v is None else v) for k, v in raw.items()}
    try:
        result = save_draft(dossier, raw, eform_raw=form_data or {}, prefixed=False)
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    if result.errors:
        errors = {k.removeprefix("ef_"): v for k, v in result.errors.items()}
        return _error(400, "Một số trường không hợp lệ và chưa được lưu; các trường khác đã được lưu.", errors)
    return _reply(200, _out(dossier))


@router.post("/{int:dossier_id}/attachments", response={201: AttachmentOut, **ERRORS}, summary="Đính kèm tệp")
def upload_attachment(
    request,
    dossier_id: int,
    component_id: Form[int],
    file: File[UploadedFile] = None,
    reuse_from: Form[int] = None,
):
    """Upload a file (PDF, JPEG, PNG, DOCX, XLSX) or reuse one from the citizen's store (``reuse_from``).

    On a draft it adds a file; when a supplement is requested it adds a new version."""
    dossier = _mine(request, dossier_id)
    if dossier.status not in (Status.DRAFT, Status.SUPPLEMENT_REQUESTED):
        return _error(409, "Hồ sơ không ở trạng thái cho phép đính kèm tệp.")
    component = next((c for c in component_list(dossier) if c.pk == component_id), None)
    if component is None:
        return _error(400, "Thành phần hồ sơ không thuộc thủ tục này.", {"component_id": "Không hợp lệ."})
    replace = dossier.status == Status.SUPPLEMENT_REQUESTED
    try:
        if reuse_from:
            source = Attachment.objects.filter(pk=reuse_from).select_related("dossier").first()
            if source is None:
                return _error(404, "Không tìm thấy tệp trong kho dữ liệu của bạn.")
            attachment = reuse_attachment(dossier, component, source, user=request.auth, replace=replace)
        elif file is None:
            return _error(400, "Vui lòng chọn tệp để tải lên.", {"file": "Trường này là bắt buộc."})
        else:
            attachment = add_attachment(dossier, component, file, user=request.auth, replace=replace)
    except AttachmentRejected as exc:
        return _error(400, str(exc), {"file": str(exc)})
    return Reply(201, attachment)


@router.post("/{int:dossier_id}/submit", response={200: DossierOut, **ERRORS}, summary="Nộp hồ sơ")
def submit_dossier(request, dossier_id: int):
    """Allocates the code and sets status 1. Repeating it returns the dossier already submitted."""
    try:
        # submit() reads the dossier under its row lock and checks the owner (404): no lookup here.
        files: list = []
        dossier = submit(Dossier(pk=dossier_id), request.auth, client_address=client_ip(request), attachments=files)
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    # ``files`` stays empty on a repeated submit (nothing read): the answer reads them then.
    return _reply(200, _out(dossier, files or None))


class CompleteIn(DraftUpdate):
    """The ``data`` part of a one-request submission."""

    procedure_code: str
    client_token: str = ""


_FILE_FIELD = re.compile(r"^component_(\d{1,9})$")
_COMPLETE_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "data": {
                            "type": "string",
                            "description": (
                                "JSON: procedure_code (bắt buộc), client_token (mã chống gửi trùng, nên có), case_id, "
                                "receiving_agency_id, các trường người nộp như PATCH /dossiers/{id} và form_data "
                                "(câu trả lời tờ khai điện tử)."
                            ),
                            "example": json.dumps(
                                {"procedure_code": "1.001193", "client_token": "kiosk-7-000123",
                                 "form_data": {"child_name": "NGUYỄN VĂN AN"}}, ensure_ascii=False),
                        },
                    },
                    "additionalProperties": {
                        "type": "string",
                        "format": "binary",
                        "description": "Tệp của thành phần hồ sơ: tên trường component_<id> (có thể lặp lại).",
                    },
                },
            },
        },
    },
}


class ComponentSpec(Schema):
    id: int
    name: str
    required: bool
    case_id: int | None


class SubmissionSpec(Schema):
    procedure_code: str
    procedure_name: str
    eform_code: str | None
    eform_schema: dict | None
    components: list[ComponentSpec]


@router.get("/submissions/{code}", response={200: SubmissionSpec, **ERRORS},
            summary="Thông tin cần gửi để nộp hồ sơ trong một yêu cầu")
def submission_spec(request, code: str):
    """What POST /submissions needs for procedure ``code``: the file fields (``component_<id>``,
    required or not, per case) and the e-form's JSON Schema (the keys of ``form_data``)."""
    procedure = procedure_facts.active_procedure(code[:20])
    facts = procedure_facts.facts(procedure) if procedure is not None else None
    if facts is None or facts.service is None:
        return _error(404, "Không tìm thấy thủ tục có dịch vụ công trực tuyến.")
    return Reply(200, {
        "procedure_code": procedure.code, "procedure_name": procedure.name,
        "eform_code": facts.eform.code if facts.eform else None,
        "eform_schema": facts.eform.schema if facts.eform else None,
        "components": [{"id": c.pk, "name": c.name, "required": c.required, "case_id": c.case_id} for c in facts.components],
    })


@router.post(
    "/submissions",
    response={200: DossierOut, 201: DossierOut, **ERRORS},
    summary="Nộp trọn hồ sơ trong một yêu cầu",
    openapi_extra=_COMPLETE_DOC,
)
def submit_in_one_request(request):
    """Create, fill, attach and submit a dossier in one multipart request (kiosks, integrating systems).

    Same checks as the step-by-step flow; a refused request (4xx) stores nothing. Files go in
    fields ``component_<id>`` (ids listed by GET /dossiers/submissions/{code}). 201: submitted (code
    allocated, status 1, applicant notified); 200: a repeated request with the same
    ``client_token``, answered with the dossier already submitted (nothing stored again)."""
    text = request.POST.get("data") or ""
    if "\x00" in text or "\\u0000" in text:  # as RejectNulMiddleware does for JSON bodies
        from motcua.core.middleware import NUL_MESSAGE

        return _error(400, NUL_MESSAGE, {"data": NUL_MESSAGE})
    try:
        raw = json.loads(text)
    except ValueError:
        return _error(400, "Thiếu phần data hoặc data không phải JSON hợp lệ.", {"data": "JSON không hợp lệ."})
    if not isinstance(raw, dict):
        return _error(400, "Phần data phải là một đối tượng JSON.", {"data": "Phải là một đối tượng JSON."})
    try:
        payload = CompleteIn.model_validate(raw)
    except SchemaError as exc:
        errors = {".".join(str(x) for x in e["loc"]) or "data": "Giá trị thiếu hoặc sai kiểu dữ liệu." for e in exc.errors()}
        return _error(400, "Dữ liệu gửi lên không đúng cấu trúc.", errors)
    files = []
    for name in request.FILES:
        match = _FILE_FIELD.match(name)
        if match is None:
            return _error(400, "Tên trường tệp không hợp lệ: dùng component_<mã thành phần>.", {name[:60]: "Không hợp lệ."})
        files.extend((int(match.group(1)), upload) for upload in request.FILES.getlist(name))
    procedure = procedure_facts.active_procedure(payload.procedure_code[:20])
    if procedure is None:
        return _error(404, "Không tìm thấy thủ tục.")
    case = agency = None
    if payload.case_id:
        case = procedure.cases.filter(pk=payload.case_id).first()
        if case is None:
            return _error(400, "Trường hợp không thuộc thủ tục này.", {"case_id": "Trường hợp không hợp lệ."})
    if payload.receiving_agency_id:
        from motcua.organisations.models import Agency

        agency = Agency.objects.filter(pk=payload.receiving_agency_id).first()
        if agency is None:
            return _error(400, "Nơi tiếp nhận không hợp lệ.", {"receiving_agency_id": "Không tìm thấy cơ quan."})
    applicant = payload.dict(exclude_unset=True, exclude={"procedure_code", "client_token", "case_id",
                                                          "receiving_agency_id", "form_data"})
    applicant = {k: ("" if v is None else v) for k, v in applicant.items()}
    try:
        done = submit_complete(
            request.auth, procedure, applicant, form_data=payload.form_data or {}, files=files, case=case,
            receiving_agency=agency, client_token=payload.client_token, client_address=client_ip(request),
        )
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    return _reply(200 if done.replayed else 201, _out(done.dossier, done.attachments))


@router.get("/{int:dossier_id}", response={200: DossierOut, **ERRORS}, summary="Xem hồ sơ của tôi")
def get_dossier(request, dossier_id: int):
    return _reply(200, _out(_mine(request, dossier_id)))


class DossierBrief(Schema):
    id: int
    code: str | None
    status: int
    status_label: str
    procedure_code: str
    procedure_name: str
    submitted_at: dt.datetime | None
    updated_at: dt.datetime


@router.get("/", response=list[DossierBrief], summary="Danh sách hồ sơ của tôi")
def list_mine(request, status: int | None = None, procedure_code: str | None = None, limit: int = 50, offset: int = 0):
    qs = Dossier.objects.filter(owner=request.auth).select_related("procedure").order_by("-updated_at", "-id")
    if status is not None:
        qs = qs.filter(status=status)
    if procedure_code:
        qs = qs.filter(procedure__code=procedure_code[:20])
    limit = max(1, min(limit, 200))
    return [
        {
            "id": d.id, "code": d.code, "status": d.status, "status_label": d.get_status_display(),
            "procedure_code": d.procedure.code, "procedure_name": d.procedure.name,
            "submitted_at": d.submitted_at, "updated_at": d.updated_at,
        }
        for d in qs[max(offset, 0): max(offset, 0) + limit]
    ]


class NoteIn(Schema):
    note: str = ""


@router.post("/{int:dossier_id}/supplement", response={200: DossierOut, **ERRORS}, summary="Gửi bổ sung hồ sơ")
def supplement_dossier(request, dossier_id: int, payload: NoteIn):
    dossier = _mine(request, dossier_id)
    try:
        supplement(dossier, request.auth, note=payload.note, client_address=client_ip(request))
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    return _reply(200, _out(dossier))


class ReasonIn(Schema):
    reason: str


@router.post("/{int:dossier_id}/withdraw", response={200: DossierOut, **ERRORS}, summary="Rút hồ sơ")
def withdraw_dossier(request, dossier_id: int, payload: ReasonIn):
    dossier = _mine(request, dossier_id)
    try:
        withdraw(dossier, request.auth, reason=payload.reason, client_address=client_ip(request))
    except SubmissionError as exc:
        return _error(exc.status, str(exc), exc.errors)
    return _reply(200, _out(dossier))


class TimelineItem(Schema):
    at: dt.datetime
    action: str
    status: str


class TrackingOut(Schema):
    code: str
    procedure: str
    procedure_code: str
    status: int
    status_label: str
    applicant: str
    receiving_agency: str
    submitted_at: dt.datetime | None
    appointment_at: dt.datetime | None
    returned_at: dt.datetime | None
    needed: list[str]
    timeline: list[TimelineItem]


@router.get("/tracking/{code}", auth=None, response={200: TrackingOut, **ERRORS}, summary="Tra cứu công khai theo mã hồ sơ")
def track(request, code: str):
    """No login; the applicant's name is masked; rate limited per client address."""
    if rate_limited("track", client_ip(request)):
        return _error(429, RATE_LIMIT_MESSAGE)
    found = lookup(code)
    if found is None:
        return _error(404, "Không tìm thấy hồ sơ có mã này.")
    # Rendered directly: ``lookup`` builds exactly TrackingOut's fields from typed columns, so
    # re-validating them through pydantic (about 0.1 ms, a tenth of the request) adds nothing;
    # test_tracking_api_answers_exactly_the_schema compares both.
    return HttpResponse(json.dumps(found.view, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8")
