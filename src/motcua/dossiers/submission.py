"""Online submission by citizens: drafts, applicant data, completeness, submit, supplement, withdraw.

A draft is simply a Dossier with status DRAFT (0): saving it is allowed with partial data (the
fields that fail their checks keep their previous value, so a bad input never damages a draft);
``submit`` checks everything, allocates the code and moves it to status 1 in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from motcua.catalog.models import DocumentComponent, EForm, OnlineService, Procedure, ProcedureVersion
from motcua.core import statements
from motcua.core.prepared import Prepared
from motcua.core.text import nfc
from motcua.dossiers import eforms, procedure_facts
from motcua.dossiers.models import ApplicantType, Attachment, Dossier, DossierEvent, ResultMethod, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed, allocate_code, transition


class SubmissionError(Exception):
    """Bad input for a submission step; ``errors`` maps field names to Vietnamese messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 400):
        super().__init__(message)
        self.errors = errors or {}
        self.status = status


# ---------------------------------------------------------------- procedure side


def online_service(procedure: Procedure) -> OnlineService | None:
    """The procedure's first online service (agency and e-form loaded); cached per process."""
    return procedure_facts.facts(procedure).service


def eform_for(procedure: Procedure) -> EForm | None:
    """The procedure's e-form: on its online service, else on one of its document components."""
    return procedure_facts.facts(procedure).eform


_UNSET = object()


def receiving_points(procedure: Procedure, service=_UNSET):
    """Any service point may receive (Decree 118/2025), plus the service's own points."""
    from motcua.organisations.models import Agency

    if service is _UNSET:
        service = online_service(procedure)
    ids = set()
    if service:
        ids.update(service.receiving_points.values_list("id", flat=True))
        ids.add(service.agency_id)
    return Agency.objects.filter(Q(id__in=ids) | Q(is_service_point=True), is_active=True).order_by("level", "name")


def components_for(dossier: Dossier):
    qs = DocumentComponent.objects.filter(procedure_id=dossier.procedure_id)
    if dossier.case_id:
        return qs.filter(Q(case__isnull=True) | Q(case_id=dossier.case_id))
    return qs.filter(case__isnull=True)


def component_list(dossier: Dossier) -> list[DocumentComponent]:
    """``components_for`` from the per-process catalogue cache (no query once warm)."""
    return procedure_facts.facts(dossier.procedure).components_for(dossier.case_id)


def procedure_version(procedure: Procedure) -> ProcedureVersion:
    """The snapshot to store on the dossier; a minimal one is made if the catalogue has none yet."""
    try:
        from motcua.catalog.services import current_version  # type: ignore[attr-defined]
    except ImportError:
        current_version = None
    if current_version is not None:
        version = current_version(procedure)
        if version is not None:
            return version
    snapshot = {
        "code": procedure.code,
        "name": procedure.name,
        "components": [
            {"id": c.id, "name": c.name, "required": c.required, "case_id": c.case_id}
            for c in procedure.components.all()
        ],
    }
    version, _ = ProcedureVersion.objects.get_or_create(
        procedure=procedure, number=procedure.version, defaults={"snapshot": snapshot}
    )
    return version


def procedure_version_id(procedure: Procedure) -> int:
    """``procedure_version(procedure).pk``, remembered per process for the procedure's current version."""
    cached = procedure_facts.facts(procedure).version_id
    if cached is None:
        cached = procedure_version(procedure).pk
        # Only once committed: a version created by a transaction that rolls back must not be
        # handed to other submissions.
        transaction.on_commit(lambda: procedure_facts.remember_version(procedure, cached))
    return cached


# ---------------------------------------------------------------- applicant data

APPLICANT_FIELDS = {
    # name: (max length, label)
    "applicant_name": (255, "Họ và tên chủ hồ sơ"),
    "applicant_identity": (14, "Số định danh / mã số thuế"),
    "applicant_phone": (15, "Số điện thoại"),
    "applicant_email": (254, "Thư điện tử"),
    "applicant_address": (255, "Địa chỉ"),
    "delegate_name": (255, "Họ và tên người nộp thay"),
    "delegate_identity": (12, "Số CCCD người nộp thay"),
    "delegate_phone": (15, "Điện thoại người nộp thay"),
    "postal_address": (255, "Địa chỉ nhận kết quả qua bưu chính"),
    "summary": (500, "Trích yếu"),
}


def _check_identity(value: str, applicant_type: int) -> str | None:
    from motcua.accounts.validators import validate_cccd, validate_tax_code

    try:
        if int(applicant_type) == ApplicantType.BUSINESS:
            validate_tax_code(value)
        else:
            validate_cccd(value)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def _check_phone(value: str) -> tuple[str, str | None]:
    from motcua.accounts.validators import normalise_phone

    try:
        return normalise_phone(value), None
    except ValidationError as exc:
        return value, " ".join(exc.messages)


def clean_applicant(raw) -> tuple[dict, dict[str, str]]:
    """Applicant, delegate and result fields from posted values: (valid values, errors)."""
    values: dict = {}
    errors: dict[str, str] = {}
    applicant_type = raw.get("applicant_type")
    if applicant_type not in (None, ""):
        if str(applicant_type) in ("1", "2"):
            values["applicant_type"] = int(applicant_type)
        else:
            errors["applicant_type"] = "Loại đối tượng không hợp lệ."
    kind = values.get("applicant_type", ApplicantType.CITIZEN)
    for name, (limit, _label) in APPLICANT_FIELDS.items():
        if name not in raw:
            continue
        value = eforms.normalise_text(str(raw.get(name) or ""))
        if name not in ("summary",):
            value = nfc(value)
        if len(value) > limit:
            errors[name] = f"Nội dung quá dài: tối đa {limit} ký tự."
            continue
        if value and name == "applicant_identity":
            message = _check_identity(value.replace(" ", ""), kind)
            if message:
                errors[name] = message
                continue
            value = value.replace(" ", "")
        elif value and name == "delegate_identity":
            message = _check_identity(value.replace(" ", ""), ApplicantType.CITIZEN)
            if message:
                errors[name] = message
                continue
            value = value.replace(" ", "")
        elif value and name in ("applicant_phone", "delegate_phone"):
            value, message = _check_phone(value)
            if message:
                errors[name] = message
                continue
        elif value and name == "applicant_email":
            try:
                validate_email(value)
            except ValidationError:
                errors[name] = "Địa chỉ thư điện tử không hợp lệ."
                continue
        values[name] = value
    method = raw.get("result_method")
    if method not in (None, ""):
        if method in ResultMethod.values:
            values["result_method"] = method
        else:
            errors["result_method"] = "Hình thức nhận kết quả không hợp lệ."
    return values, errors


def prefill_from_profile(user) -> dict:
    return {
        "applicant_name": getattr(user, "full_name", "") or "",
        "applicant_identity": getattr(user, "identity_number", "") or getattr(user, "tax_code", "") or "",
        "applicant_phone": getattr(user, "phone", "") or "",
        "applicant_email": getattr(user, "email", "") or "",
        "applicant_address": getattr(user, "address", "") or "",
        "applicant_type": ApplicantType.BUSINESS if getattr(user, "kind", "") == "business" else ApplicantType.CITIZEN,
    }


# ---------------------------------------------------------------- drafts


def _draft_target(procedure: Procedure, case=None, receiving_agency=None):
    """Check where a new dossier of ``procedure`` goes: (online service, receiving agency)."""
    service = online_service(procedure)
    if service is None:
        raise SubmissionError("Thủ tục này chưa có dịch vụ công trực tuyến để nộp hồ sơ.", status=404)
    if case is not None and case.procedure_id != procedure.id:
        raise SubmissionError("Trường hợp không thuộc thủ tục này.", {"case": "Trường hợp không hợp lệ."})
    if receiving_agency is None:
        receiving_agency = service.agency
    elif not receiving_points(procedure, service).filter(pk=receiving_agency.pk).exists():
        raise SubmissionError("Nơi tiếp nhận không hợp lệ.", {"receiving_agency": "Nơi này không tiếp nhận hồ sơ."})
    return service, receiving_agency


def _new_draft(user, procedure: Procedure, service, receiving_agency, *, case=None, client_token: str = "") -> Dossier:
    """An unsaved draft prefilled from the account's profile."""
    return Dossier(
        procedure=procedure,
        case=case,
        status=Status.DRAFT,
        receiving_agency=receiving_agency,
        competent_agency=service.agency,
        owner=user,
        client_token=client_token,
        **prefill_from_profile(user),
    )


def start_draft(user, procedure: Procedure, *, case=None, receiving_agency=None, client_token: str = "") -> Dossier:
    """Create the draft (idempotent per ``client_token``: a repeated post returns the same draft)."""
    return start_draft_created(user, procedure, case=case, receiving_agency=receiving_agency, client_token=client_token)[0]


def start_draft_created(user, procedure: Procedure, *, case=None, receiving_agency=None,
                        client_token: str = "") -> tuple[Dossier, bool]:
    """``start_draft``, and whether this call created the draft (False: the ``client_token``'s).

    No look-up of the token first: the unique constraint on (owner, client_token) refuses the
    second INSERT and the existing draft is read then (one query fewer for every new draft)."""
    token = (client_token or "")[:64]
    service, receiving_agency = _draft_target(procedure, case, receiving_agency)
    dossier = _new_draft(user, procedure, service, receiving_agency, case=case, client_token=token)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a refused INSERT must not abort the caller's transaction
                statements.insert(dossier)
        else:
            statements.insert(dossier)  # one statement in autocommit: no BEGIN/COMMIT round trips
        return dossier, True
    except IntegrityError:
        # The same client_token again (a repeated post, or two racing): the draft already made.
        existing = (
            Dossier.objects.filter(owner=user, client_token=token).select_related("procedure").first() if token else None
        )
        if existing is None:
            raise
        return existing, False


def get_draft(user, dossier_id) -> Dossier:
    dossier = Dossier.objects.filter(pk=dossier_id, owner=user).select_related("procedure", "case").first()
    if dossier is None:
        raise SubmissionError("Không tìm thấy hồ sơ.", status=404)
    return dossier


@dataclass
class SaveResult:
    errors: dict[str, str] = field(default_factory=dict)
    saved: list[str] = field(default_factory=list)


def save_draft(dossier: Dossier, raw, *, eform_raw=None, prefixed: bool = True) -> SaveResult:
    """Store what is valid in ``raw`` (applicant fields, case, point, e-form answers).

    Fields with errors keep their stored value. Returns the errors so the caller can answer 400.
    """
    if dossier.status != Status.DRAFT:
        raise SubmissionError("Hồ sơ đã nộp, không sửa được bản nháp.", status=409)
    result = SaveResult()
    values = draft_values(dossier, raw, result.errors, eform_raw=eform_raw, prefixed=prefixed)
    # One conditional UPDATE: it only applies while the dossier is still a draft (a submit that
    # commits first wins, and this save answers 409).
    now = timezone.now()
    if not Dossier.objects.filter(pk=dossier.pk, status=Status.DRAFT).update(**values, updated_at=now):
        raise SubmissionError("Hồ sơ đã nộp, không sửa được bản nháp.", status=409)
    for name, value in values.items():
        setattr(dossier, name, value)
    dossier.updated_at = now
    result.saved = sorted(values)
    return result


def draft_values(dossier: Dossier, raw, errors: dict[str, str], *, eform_raw=None, prefixed: bool = True) -> dict:
    """The valid values of ``raw`` for ``dossier`` (applicant fields, case, point, e-form answers);
    the refused ones are added to ``errors``. Nothing is written."""
    values, applicant_errors = clean_applicant(raw)
    errors.update(applicant_errors)
    if "case" in raw:
        case_id = raw.get("case")
        if case_id in ("", None):
            values["case"] = None
        else:
            case = dossier.procedure.cases.filter(pk=case_id if str(case_id).isdigit() else 0).first()
            if case is None:
                errors["case"] = "Trường hợp không hợp lệ."
            else:
                values["case"] = case
    if raw.get("receiving_agency") not in (None, ""):
        ra = str(raw.get("receiving_agency"))
        agency = receiving_points(dossier.procedure).filter(pk=int(ra) if ra.isdigit() else 0).first()
        if agency is None:
            errors["receiving_agency"] = "Nơi tiếp nhận không hợp lệ."
        else:
            values["receiving_agency"] = agency
    form = eform_for(dossier.procedure)
    form_data = dict(dossier.form_data or {})
    if form is not None and (eform_raw if eform_raw is not None else raw) is not None:
        source = eform_raw if eform_raw is not None else raw
        cleaned = eforms.clean(form.schema, source, partial=True, prefixed=prefixed)
        for name in (form.schema.get("properties") or {}):
            key = f"{eforms.FIELD_PREFIX}{name}" if prefixed else name
            present = key in source if hasattr(source, "__contains__") else False
            if name in cleaned.errors:
                errors[f"{eforms.FIELD_PREFIX}{name}"] = cleaned.errors[name]
            elif name in cleaned.data:
                form_data[name] = cleaned.data[name]
            elif present or (prefixed and form.schema["properties"][name].get("type") in ("boolean", "array")):
                form_data.pop(name, None)
        values["form_data"] = form_data
    return values


# ---------------------------------------------------------------- completeness and submit


_current_attachments = Prepared(
    lambda dossier_id: Attachment.objects.filter(dossier_id=dossier_id, is_current=True).only("id", "component_id"),
    (-1,),
)


def missing_components(dossier: Dossier, attachments=None) -> list[DocumentComponent]:
    """Required components without a current file (``attachments``: the dossier's, if already loaded)."""
    if attachments is None:
        have = {a.component_id for a in _current_attachments.all(dossier.pk)}
    else:
        have = {a.component_id for a in attachments if a.is_current}
    return [c for c in component_list(dossier) if c.required and c.id not in have]


def completeness_errors(dossier: Dossier, attachments=None) -> dict[str, str]:
    """Everything that blocks submitting, as {field: message}."""
    errors: dict[str, str] = {}
    if not dossier.applicant_name:
        errors["applicant_name"] = "Vui lòng nhập họ và tên chủ hồ sơ."
    if not dossier.applicant_identity:
        errors["applicant_identity"] = "Vui lòng nhập số định danh cá nhân (CCCD) hoặc mã số thuế."
    else:
        message = _check_identity(dossier.applicant_identity, dossier.applicant_type)
        if message:
            errors["applicant_identity"] = message
    if not dossier.applicant_phone and not dossier.applicant_email:
        errors["applicant_phone"] = "Vui lòng nhập số điện thoại hoặc thư điện tử để nhận thông báo."
    if dossier.result_method == ResultMethod.POST and not dossier.postal_address:
        errors["postal_address"] = "Vui lòng nhập địa chỉ nhận kết quả qua bưu chính."
    if bool(dossier.delegate_name) != bool(dossier.delegate_identity):
        errors["delegate_identity"] = "Người nộp thay cần có cả họ tên và số CCCD."
    if not dossier.case_id and procedure_facts.facts(dossier.procedure).has_cases:
        errors["case"] = "Vui lòng chọn trường hợp."
    form = eform_for(dossier.procedure)
    if form is not None:
        for name, message in eforms.validate(form.schema, dossier.form_data or {}).items():
            errors[f"{eforms.FIELD_PREFIX}{name}"] = message
    for component in missing_components(dossier, attachments):
        errors[f"component_{component.id}"] = f"Chưa đính kèm giấy tờ bắt buộc: {component.name[:200]}"
    return errors


CONTACT_CONFIRM_URL = "/xac-nhan/"
CONTACT_UNCONFIRMED_MESSAGE = (
    "Bạn cần xác nhận số điện thoại hoặc thư điện tử của tài khoản trước khi nộp hồ sơ, để nhận được "
    f"thông báo về hồ sơ. Vui lòng xác nhận tại {CONTACT_CONFIRM_URL} rồi nộp lại; bản nháp của bạn vẫn được giữ nguyên."
)


def contact_unconfirmed(user) -> bool:
    """Whether the account's phone/e-mail is not confirmed yet (such accounts may not submit)."""
    return not getattr(user, "contact_confirmed", False)


# The dossier with its procedure and receiving agency, its row only locked (compiled once).
_draft_for_submission = Prepared(
    lambda pk: Dossier.objects.select_for_update(of=("self",)).select_related("procedure", "receiving_agency")
    .filter(pk=pk),
    (-1,),
)


def submit(dossier: Dossier, user, *, client_address: str | None = None, attachments: list | None = None) -> Dossier:
    """Check, allocate the code and move the draft to status 1, all in one transaction.

    A repeated submit of the same dossier (double click, re-posted form) returns it unchanged.
    An account whose contact is not confirmed is refused (403): notices could not reach it.
    ``attachments``: a list to receive the dossier's files (all versions) when it is submitted
    now; they are read once, for the completeness check, and the caller's answer can reuse them.
    """
    with transaction.atomic():
        # of=("self",): lock the dossier row only. Locking the joined agency and procedure rows
        # (FOR UPDATE) made every other transaction that references the agency wait at COMMIT
        # for its foreign-key check, and deadlocked concurrent life cycles.
        locked = _draft_for_submission.first(dossier.pk)
        if locked is None or locked.owner_id != getattr(user, "pk", None):
            raise SubmissionError("Không tìm thấy hồ sơ.", status=404)
        if locked.status != Status.DRAFT:
            if locked.code:
                return locked
            raise SubmissionError("Hồ sơ không ở trạng thái bản nháp.", status=409)
        if contact_unconfirmed(user):
            raise SubmissionError(CONTACT_UNCONFIRMED_MESSAGE, {"contact": CONTACT_UNCONFIRMED_MESSAGE}, status=403)
        files = None
        if attachments is not None:
            files = list(Attachment.objects.filter(dossier=locked).order_by("component_id", "version"))
        _submit_draft(locked, user, client_address=client_address, attachments=files)
        if files is not None:
            attachments[:] = files
    for f in locked._meta.concrete_fields:
        setattr(dossier, f.attname, getattr(locked, f.attname))
    dossier._state.fields_cache.update(locked._state.fields_cache)
    dossier._state.adding = False
    return locked


def _submit_draft(locked: Dossier, user, *, client_address=None, attachments=None, checked: bool = False) -> None:
    """Check completeness (unless the caller just did, ``checked``), allocate the code and move
    the draft to status 1. Inside the caller's transaction, which holds the dossier row (locked,
    or inserted by this same transaction)."""
    if not checked:
        errors = completeness_errors(locked, attachments)
        if errors:
            raise SubmissionError(INCOMPLETE_MESSAGE, errors)
    version_id = procedure_version_id(locked.procedure)
    now = timezone.now()
    # Last statements before commit: the counter row stays locked until then (every other
    # submission to the agency waits), so only the dossier update and its event follow it.
    code = allocate_code(locked.receiving_agency, now)
    transition(
        locked,
        "submit",
        Actor(user, "applicant", agency=locked.receiving_agency, client_address=client_address),
        at=now,
        update_fields={
            "code": code,
            "submitted_at": now,
            "procedure_version_id": version_id,
            "current_agency": locked.receiving_agency,
        },
        locked=True,
    )


INCOMPLETE_MESSAGE = "Hồ sơ chưa đầy đủ, vui lòng bổ sung các mục được nêu."
TOKEN_USED_BY_DRAFT_MESSAGE = (
    "Mã chống gửi trùng (client_token) này đã được dùng cho một bản nháp chưa nộp. "
    "Hãy nộp bản nháp đó hoặc dùng một mã khác."
)


@dataclass
class CompleteSubmission:
    dossier: Dossier
    attachments: list
    replayed: bool = False  # a repeated request: the dossier submitted by the first one


def submit_complete(
    user,
    procedure: Procedure,
    raw: dict,
    *,
    form_data: dict | None = None,
    files=(),
    case=None,
    receiving_agency=None,
    client_token: str = "",
    client_address: str | None = None,
) -> CompleteSubmission:
    """Create, fill, attach and submit a dossier in one call (kiosks, integrating systems).

    The checks of the step-by-step flow (``_draft_target``, ``draft_values``, ``inspect_upload``,
    ``completeness_errors``, the "submit" transition), all made before anything is written: a
    refused request stores nothing. Then one transaction: the dossier, its files (SHA-256 named),
    the code and status 1 with its event; notices are queued after commit as for any submit.
    ``raw``: applicant fields; ``form_data``: e-form answers; ``files``: (component id, upload)
    pairs. A repeated request with the same ``client_token`` returns the dossier the first one
    submitted (``replayed``) and stores nothing.
    """
    from motcua.dossiers.attachments import (
        AttachmentRejected,
        delete_stored,
        insert_attachments,
        inspect_upload,
        prepare_attachment,
    )

    # No look-up of ``client_token`` first: the unique constraint on (owner, client_token) refuses
    # a second dossier at its INSERT, before any file is stored, and the first one is returned.
    token = (client_token or "")[:64]
    if contact_unconfirmed(user):
        raise SubmissionError(CONTACT_UNCONFIRMED_MESSAGE, {"contact": CONTACT_UNCONFIRMED_MESSAGE}, status=403)
    service, receiving_agency = _draft_target(procedure, case, receiving_agency)
    dossier = _new_draft(user, procedure, service, receiving_agency, case=case, client_token=token)
    errors: dict[str, str] = {}
    values = draft_values(dossier, raw, errors, eform_raw=form_data or {}, prefixed=False)
    if errors:
        raise SubmissionError("Một số trường không hợp lệ; hồ sơ chưa được nộp.", errors)
    for name, value in values.items():
        setattr(dossier, name, value)
    allowed = {c.pk for c in component_list(dossier)}
    checked = []
    for component_id, upload in files:
        key = f"component_{component_id}"
        if component_id not in allowed:
            errors.setdefault(key, "Thành phần hồ sơ không thuộc thủ tục này.")
            continue
        try:
            checked.append((component_id, upload, inspect_upload(upload)))
        except AttachmentRejected as exc:
            errors.setdefault(key, str(exc))
    if errors:
        raise SubmissionError("Tệp đính kèm không hợp lệ; hồ sơ chưa được nộp.", errors)
    errors = completeness_errors(dossier, [_Planned(cid) for cid, _, _ in checked])
    if errors:
        raise SubmissionError(INCOMPLETE_MESSAGE, errors)
    dossier.is_digitised = bool(checked)
    stored: list[str] = []
    committed: list[bool] = []
    try:
        with transaction.atomic():
            # First of the after-commit callbacks: if a later one (the notices) raises, the files
            # belong to a committed dossier and must stay.
            transaction.on_commit(lambda: committed.append(True))
            dossier.save(force_insert=True)  # a concurrent twin with the same client_token fails here
            versions: dict[int, int] = {}
            attachments = []
            for component_id, upload, inspected in checked:
                versions[component_id] = versions.get(component_id, 0) + 1
                attachment = prepare_attachment(
                    dossier, component_id, upload, inspected, version=versions[component_id], user=user
                )
                stored.append(attachment.file.name)
                attachments.append(attachment)
            insert_attachments(attachments)
            _submit_draft(dossier, user, client_address=client_address, attachments=attachments, checked=True)
    except IntegrityError:
        if committed:
            raise
        delete_stored(stored)
        existing = (
            Dossier.objects.filter(owner=user, client_token=token).select_related("procedure").first() if token else None
        )
        if existing is None:
            raise
        return _replayed(existing)
    except BaseException:
        if not committed:
            delete_stored(stored)  # the dossier id never committed: nobody else references these files
        raise
    return CompleteSubmission(dossier, attachments)


class _Planned:
    """A file about to be attached, as ``missing_components`` sees it (no model instance needed)."""

    __slots__ = ("component_id",)
    is_current = True

    def __init__(self, component_id):
        self.component_id = component_id


def _replayed(existing: Dossier) -> CompleteSubmission:
    if existing.status == Status.DRAFT or not existing.code:
        raise SubmissionError(TOKEN_USED_BY_DRAFT_MESSAGE, {"client_token": TOKEN_USED_BY_DRAFT_MESSAGE}, status=409)
    attachments = list(Attachment.objects.filter(dossier=existing).order_by("component_id", "version"))
    return CompleteSubmission(existing, attachments, replayed=True)


# ---------------------------------------------------------------- supplement and withdrawal


def supplement_request(dossier: Dossier) -> dict | None:
    """The latest "request_supplement" event's data: {"items": [{"component_id", "note"}], "note"}."""
    event = dossier.events.filter(action="request_supplement").order_by("-at", "-id").first()
    if event is None:
        return None
    data = dict(event.data or {})
    data.setdefault("items", [])
    data.setdefault("note", event.note)
    data["at"] = event.at
    components = {c.id: c for c in DocumentComponent.objects.filter(id__in=[i.get("component_id") for i in data["items"] if i.get("component_id")])}
    data["items"] = [
        {**item, "component": components.get(item.get("component_id"))} for item in data["items"]
    ]
    return data


def supplement(dossier: Dossier, user, *, note: str = "", client_address: str | None = None) -> DossierEvent:
    """Resubmit after a supplement request: every requested component must have a new file."""
    if dossier.owner_id != getattr(user, "pk", None):
        raise SubmissionError("Không tìm thấy hồ sơ.", status=404)
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        raise SubmissionError("Hồ sơ không ở trạng thái yêu cầu bổ sung.", status=409)
    request = supplement_request(dossier) or {"items": [], "at": None}
    errors = {}
    for item in request["items"]:
        cid = item.get("component_id")
        if not cid:
            continue
        qs = Attachment.objects.filter(dossier=dossier, component_id=cid, is_current=True)
        if request["at"] is not None:
            qs = qs.filter(uploaded_at__gte=request["at"])
        if not qs.exists():
            name = item["component"].name[:200] if item.get("component") else str(cid)
            errors[f"component_{cid}"] = f"Chưa tải lên giấy tờ cần bổ sung: {name}"
    if errors:
        raise SubmissionError("Vui lòng tải lên đủ các giấy tờ cần bổ sung.", errors)
    note = eforms.normalise_text(note or "")
    if len(note) > eforms.MAX_STRING:
        raise SubmissionError("Ghi chú quá dài.", {"note": f"Tối đa {eforms.MAX_STRING} ký tự."})
    try:
        return transition(dossier, "supplement", Actor(user, "applicant", client_address=client_address), note=note)
    except TransitionNotAllowed as exc:
        raise SubmissionError(str(exc), status=409) from exc


def withdraw(dossier: Dossier, user, *, reason: str, client_address: str | None = None) -> DossierEvent:
    if dossier.owner_id != getattr(user, "pk", None):
        raise SubmissionError("Không tìm thấy hồ sơ.", status=404)
    reason = eforms.normalise_text(reason or "")
    if not reason:
        raise SubmissionError("Vui lòng nêu lý do rút hồ sơ.", {"reason": "Trường này là bắt buộc."})
    if len(reason) > eforms.MAX_STRING:
        raise SubmissionError("Lý do quá dài.", {"reason": f"Tối đa {eforms.MAX_STRING} ký tự."})
    try:
        return transition(dossier, "withdraw", Actor(user, "applicant", client_address=client_address), note=reason)
    except TransitionNotAllowed as exc:
        raise SubmissionError(str(exc), status=409) from exc


def delete_draft(dossier: Dossier, user) -> None:
    if dossier.owner_id != getattr(user, "pk", None) or dossier.status != Status.DRAFT:
        raise SubmissionError("Chỉ xóa được bản nháp của bạn.", status=409)
    from motcua.dossiers.attachments import remove_draft_attachment

    for att_id in list(dossier.attachments.values_list("id", flat=True)):
        remove_draft_attachment(dossier, att_id)
    dossier.delete()


# ---------------------------------------------------------------- public view

_WORD = re.compile(r"\S+")


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' -> 'N*** V*** A': enough to recognise one's own dossier, not to identify."""
    words = _WORD.findall(name or "")
    if not words:
        return ""
    return " ".join([w[0] + "***" for w in words[:-1]] + [words[-1][0]])


def mask_contact(value: str) -> str:
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}****{value[-3:]}" if len(value) > 6 else "***"
