"""Desk rules of the one-stop office: who may see a dossier, reception, counter intake, decision and return.

Every status change goes through :func:`motcua.dossiers.services.transition`; this module only
decides which role acts, validates the input and records what the desk checked.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from motcua.accounts.validators import normalise_phone, validate_cccd, validate_tax_code
from motcua.catalog.models import Channel, DocumentComponent, OnlineService, Procedure
from motcua.core.text import nfc
from motcua.dossiers.attachments import AttachmentRejected, add_attachment
from motcua.dossiers.models import ApplicantType, Attachment, Dossier, ResultMethod, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed, allocate_code, lock, transition, write_deferred
from motcua.dossiers.transitions import TRANSITIONS
from motcua.organisations.models import Agency, Role, StaffRole

# Actions done by the desk of the receiving agency; the others by the agency holding the dossier.
DESK_ACTIONS = {"accept", "refuse", "receive_at_counter", "return_result", "supplement", "withdraw", "payment_received"}


# --- Who sees what -------------------------------------------------------------------------


def staff_roles(user) -> list[StaffRole]:
    """The user's roles, cached on the user object for the request."""
    cached = getattr(user, "_office_roles", None)
    if cached is None:
        cached = list(StaffRole.objects.filter(user=user).select_related("agency")) if user.is_authenticated else []
        user._office_roles = cached
    return cached


def staff_agency_ids(user) -> set[int]:
    return {r.agency_id for r in staff_roles(user)}


def has_role(user, *roles: str) -> bool:
    return any(r.role in roles for r in staff_roles(user))


def _held_via_workflow(agency_ids) -> Q:
    """Dossiers an agency holds or held through a task or a transfer (liên thông)."""
    from motcua.workflow.models import AgencyHolding, Task

    return Q(pk__in=Task.objects.filter(agency_id__in=agency_ids).values("dossier_id")) | Q(
        pk__in=AgencyHolding.objects.filter(agency_id__in=agency_ids).values("dossier_id")
    )


def visible_dossiers(user) -> QuerySet[Dossier]:
    """Dossiers a staff member may see: received, decided or held by one of their agencies."""
    ids = staff_agency_ids(user)
    if not ids:
        return Dossier.objects.none()
    return Dossier.objects.filter(
        Q(receiving_agency_id__in=ids) | Q(competent_agency_id__in=ids) | Q(current_agency_id__in=ids) | _held_via_workflow(ids)
    ).exclude(status=Status.DRAFT)


def can_see(user, dossier: Dossier) -> bool:
    """Same rule as :func:`visible_dossiers` for one loaded dossier (no query in the common case)."""
    from motcua.workflow.models import AgencyHolding, Task

    ids = staff_agency_ids(user)
    if not ids or dossier.status == Status.DRAFT:
        return False
    if {dossier.receiving_agency_id, dossier.competent_agency_id, dossier.current_agency_id} & ids:
        return True
    return (
        Task.objects.filter(dossier=dossier, agency_id__in=ids).exists()
        or AgencyHolding.objects.filter(dossier=dossier, agency_id__in=ids).exists()
    )


def actor_for(user, dossier: Dossier, action: str, client_address: str | None = None) -> Actor:
    """The role in which ``user`` may do ``action`` on ``dossier``; TransitionNotAllowed(forbidden) if none.

    Desk actions belong to the receiving agency's reception staff, processing actions to the
    staff of the agency that holds the dossier (current, else competent).
    """
    spec = TRANSITIONS.get(action)
    if spec is None:
        raise TransitionNotAllowed(f"Thao tác không hợp lệ: {action}")
    if action in DESK_ACTIONS:
        agencies = [dossier.receiving_agency_id]
    elif action == "request_supplement":
        agencies = [dossier.receiving_agency_id, dossier.current_agency_id, dossier.competent_agency_id]
    else:
        agencies = [dossier.current_agency_id or dossier.competent_agency_id]
    for agency_id in agencies:
        for r in staff_roles(user):
            if r.agency_id == agency_id and r.role in spec.roles:
                return Actor(user=user, role=r.role, agency=r.agency, client_address=client_address)
    raise TransitionNotAllowed(f"Vai trò của bạn không được phép thực hiện thao tác «{spec.label}» với hồ sơ này.", forbidden=True)


def available_actions(user, dossier: Dossier) -> list[str]:
    """Actions the transition table allows from the current status and the user's roles permit."""
    result = []
    for action, spec in TRANSITIONS.items():
        if dossier.status not in spec.sources or action in ("submit", "receive_at_counter", "supplement"):
            continue
        try:
            actor_for(user, dossier, action)
        except TransitionNotAllowed:
            continue
        result.append(action)
    return result


# --- Reception of online dossiers ----------------------------------------------------------


@dataclass
class ComponentCheck:
    """What the desk saw for one component: its form (original, copy, electronic copy) and count."""

    component_id: int | None
    name: str
    form: str
    count: int
    present: bool
    required: bool = True


CHECK_FORMS = {  # labels translated where shown
    "original": gettext_noop("Bản chính"),
    "copy": gettext_noop("Bản sao"),
    "electronic": gettext_noop("Bản sao điện tử"),
    "none": gettext_noop("Không có"),
}


def _checks_data(checks) -> list[dict]:
    out = []
    for c in checks or []:
        if isinstance(c, ComponentCheck):
            c = c.__dict__
        form = c.get("form", "electronic")
        if form not in CHECK_FORMS:
            raise ValidationError(f"Hình thức giấy tờ không hợp lệ: {form}")
        out.append(
            {
                "component_id": c.get("component_id"),
                "name": nfc(c.get("name", "")),
                "form": form,
                "count": max(int(c.get("count") or 0), 0),
                "present": bool(c.get("present", True)),
                "required": bool(c.get("required", True)),
            }
        )
    return out


def accept_dossier(dossier: Dossier, actor: Actor, checks=None, note: str = "") -> Dossier:
    """Accept a complete online dossier: receipt date, appointment from the working calendar, workflow start."""
    from motcua.workflow.deadlines import compute_appointment
    from motcua.workflow.services import start_workflow

    data = _checks_data(checks)
    missing = [c["name"][:80] for c in data if c["required"] and not c["present"]]
    if missing:
        raise ValidationError("Hồ sơ còn thiếu: " + "; ".join(missing) + ". Hãy yêu cầu bổ sung thay vì tiếp nhận.")
    received_at = timezone.now()
    appointment = compute_appointment(dossier, received_at)
    with transaction.atomic():
        # One read under the row lock for both: the acceptance and the workflow start, which
        # moves the dossier on to "processing" in the same transaction. The row is written once,
        # by that second transition (each keeps its event).
        locked = lock(dossier)
        transition(
            locked,
            "accept",
            actor,
            note=nfc(note),
            data={"checks": data},
            at=received_at,
            update_fields={"received_at": received_at, "appointment_at": appointment},
            locked=True,
            deferred=True,
        )
        start_workflow(locked, actor, locked=True)
        write_deferred(locked)  # when the workflow had started already (no second transition)
    for field in locked._meta.concrete_fields:
        setattr(dossier, field.attname, getattr(locked, field.attname))
    return dossier


def request_supplement(dossier: Dossier, actor: Actor, items: list[dict], note: str = "") -> Dossier:
    """Ask for everything missing at once (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ).

    The event data has the shape the citizen's side reads:
    ``{"items": [{"component_id", "name", "note"}], "note": ...}``.
    """
    clean = []
    for item in items or []:
        name = nfc(item.get("name"))
        item_note = nfc(item.get("note"))
        if not name and not item_note:
            continue
        clean.append({"component_id": item.get("component_id"), "name": name, "note": item_note})
    note = nfc(note)
    if not clean:
        raise ValidationError("Hãy chọn ít nhất một giấy tờ cần bổ sung và ghi rõ yêu cầu.")
    transition(dossier, "request_supplement", actor, note=note, data={"items": clean, "note": note})
    return dossier


def refuse_dossier(dossier: Dossier, actor: Actor, reason: str) -> Dossier:
    """Refuse at reception (Phiếu từ chối tiếp nhận giải quyết hồ sơ); the reason is mandatory."""
    reason = nfc(reason)
    if len(reason) < 5:
        raise ValidationError("Hãy ghi rõ lý do từ chối tiếp nhận.")
    now = timezone.now()
    transition(dossier, "refuse", actor, note=reason, data={"reason": reason}, at=now, update_fields={"finished_at": now})
    return dossier


# --- Counter and postal intake -------------------------------------------------------------


def validate_identity(applicant_type: int, identity: str) -> str:
    """CCCD for citizens, tax code for businesses (accounts.validators)."""
    if applicant_type == ApplicantType.BUSINESS:
        return validate_tax_code(identity)
    return validate_cccd(identity)


def store_attachment(dossier: Dossier, component, upload, user) -> Attachment:
    """Validated storage (type by content, size, hash, virus scan) through the dossiers app; flagged digitised."""
    try:
        return add_attachment(dossier, component, upload, user=user)
    except AttachmentRejected as exc:
        raise ValidationError(f"Tệp «{getattr(upload, 'name', '')}»: {exc}") from exc


def competent_agency_for(procedure: Procedure, receiving: Agency) -> Agency:
    service = (
        OnlineService.objects.filter(procedure=procedure, receiving_points=receiving).select_related("agency").first()
        or OnlineService.objects.filter(procedure=procedure, agency=receiving).select_related("agency").first()
    )
    return service.agency if service else receiving


def receive_at_counter(
    *,
    procedure: Procedure,
    actor: Actor,
    applicant: dict,
    files: dict | None = None,
    channel: int = Channel.COUNTER,
    case=None,
    note: str = "",
) -> Dossier:
    """Create and accept a dossier brought to the counter (channel 1) or by post (channel 3).

    ``applicant`` holds applicant_type, applicant_name, applicant_identity, applicant_phone,
    applicant_email, applicant_address, summary, result_method, postal_address. ``files`` maps a
    component id to a list of uploaded scans; every scan is flagged digitised. The code comes from
    the same series as online dossiers.
    """
    from motcua.workflow.deadlines import compute_appointment
    from motcua.workflow.services import start_workflow

    if channel not in (Channel.COUNTER, Channel.POST):
        raise ValidationError("Kênh tiếp nhận tại quầy phải là trực tiếp hoặc bưu chính.")
    agency = actor.agency
    if agency is None:
        raise ValidationError("Không xác định được nơi tiếp nhận.")
    applicant_type = int(applicant.get("applicant_type") or ApplicantType.CITIZEN)
    if applicant_type not in ApplicantType.values:
        raise ValidationError("Loại đối tượng không hợp lệ.")
    name = nfc(applicant.get("applicant_name"))
    if not name:
        raise ValidationError("Hãy nhập họ tên chủ hồ sơ.")
    identity = validate_identity(applicant_type, applicant.get("applicant_identity", ""))
    phone = applicant.get("applicant_phone") or ""
    phone = normalise_phone(phone) if phone.strip() else ""
    method = applicant.get("result_method") or ResultMethod.COUNTER
    if method not in ResultMethod.values:
        raise ValidationError("Hình thức nhận kết quả không hợp lệ.")
    postal = nfc(applicant.get("postal_address"))
    if method == ResultMethod.POST and not postal:
        raise ValidationError("Hãy nhập địa chỉ nhận kết quả qua bưu chính.")
    components = {c.pk: c for c in DocumentComponent.objects.filter(procedure=procedure)}
    files = files or {}
    for cid in files:
        if cid not in components:
            raise ValidationError("Thành phần hồ sơ không thuộc thủ tục đã chọn.")
    missing = [c.name for c in components.values() if c.required and not files.get(c.pk) and (case is None or c.case_id in (None, case.pk))]
    if missing:
        raise ValidationError("Chưa có bản quét của thành phần bắt buộc: " + "; ".join(m[:80] for m in missing))

    received_at = timezone.now()
    with transaction.atomic():
        dossier = Dossier.objects.create(
            procedure=procedure,
            procedure_version=procedure.versions.order_by("-number").first(),
            case=case,
            status=Status.DRAFT,
            channel=channel,
            receiving_agency=agency,
            competent_agency=competent_agency_for(procedure, agency),
            current_agency=agency,
            applicant_type=applicant_type,
            applicant_name=name,
            applicant_identity=identity,
            applicant_phone=phone,
            applicant_email=nfc(applicant.get("applicant_email")),
            applicant_address=nfc(applicant.get("applicant_address")),
            summary=nfc(applicant.get("summary")) or procedure.name[:500],
            result_method=method,
            postal_address=postal,
            submitted_at=received_at,
            code=allocate_code(agency, received_at),
            is_digitised=any(files.values()),
        )
        for cid, uploads in files.items():
            for upload in uploads:
                store_attachment(dossier, components[cid], upload, actor.user)
        appointment = compute_appointment(dossier, received_at)
        transition(
            dossier,
            "receive_at_counter",
            actor,
            note=nfc(note),
            data={"channel": channel},
            at=received_at,
            update_fields={"received_at": received_at, "appointment_at": appointment},
            locked=True,  # inserted by this transaction: no one else can see the row yet
        )
        start_workflow(dossier, actor, locked=True)
    return dossier


# --- Decision, stop and return -------------------------------------------------------------


def approve_with_result(dossier: Dossier, actor: Actor, result_file=None, note: str = "") -> Dossier:
    """The leader approves (status 9); the uploaded result is kept as an attachment without component."""
    now = timezone.now()
    with transaction.atomic():
        data = {}
        if result_file is not None:
            att = store_attachment(dossier, None, result_file, actor.user)
            data["result_attachment_id"] = att.pk
        # Timeliness is classed by the workflow app's receiver from decided_at and the appointment.
        fields = {"decided_at": now, "finished_at": now}
        transition(dossier, "approve", actor, note=nfc(note), data=data, at=now, update_fields=fields)
    return dossier


def stop_processing(dossier: Dossier, actor: Actor, reason: str) -> Dossier:
    """Stop processing (status 8, Thông báo dừng giải quyết hồ sơ) with its reason."""
    reason = nfc(reason)
    if len(reason) < 5:
        raise ValidationError("Hãy ghi rõ lý do dừng xử lý.")
    now = timezone.now()
    transition(dossier, "stop", actor, note=reason, data={"reason": reason}, at=now, update_fields={"finished_at": now})
    return dossier


def return_result(dossier: Dossier, actor: Actor, receiver_name: str, method: str, originals_taken_back: str = "") -> Dossier:
    """The desk hands the result over (status 10): who received it, how, which originals went back."""
    receiver_name = nfc(receiver_name)
    if not receiver_name:
        raise ValidationError("Hãy nhập họ tên người nhận kết quả.")
    if method not in ResultMethod.values:
        raise ValidationError("Hình thức trả kết quả không hợp lệ.")
    originals = nfc(originals_taken_back)
    now = timezone.now()
    transition(
        dossier,
        "return_result",
        actor,
        note=f"Người nhận: {receiver_name}. Hình thức: {ResultMethod(method).label}."
        + (f" Bản gốc trả lại: {originals}." if originals else ""),
        data={"receiver_name": receiver_name, "method": method, "originals_taken_back": originals},
        at=now,
        update_fields={"returned_at": now},
    )
    return dossier


def desk_agencies(user) -> list[Agency]:
    """Agencies where the user works at the desk."""
    return [r.agency for r in staff_roles(user) if r.role == Role.RECEPTION]


# --- Tasks (the workflow app's engine) -----------------------------------------------------


def current_task(dossier: Dossier):
    from motcua.workflow import services as wf

    return wf.current_task(dossier)


def task_actor(user, task, client_address: str | None = None) -> Actor:
    """The actor for a task action; the workflow engine checks the role at the task's agency."""
    roles = [r.role for r in staff_roles(user) if r.agency_id == task.agency_id]
    if not roles:
        raise TransitionNotAllowed("Bạn không thuộc cơ quan đang xử lý bước này.", forbidden=True)
    role = task.step.role if task.step.role in roles else roles[0]
    return Actor(user=user, role=role, agency=task.agency, client_address=client_address)


def task_step_actions(user, task) -> list[str]:
    """Step actions (forward, return, transfer…) the user may perform on the task, per the definition."""
    if task is None:
        return []
    roles = {r.role for r in staff_roles(user) if r.agency_id == task.agency_id}
    if task.step.role not in roles and Role.AGENCY_ADMIN not in roles:
        return []
    if task.assignee_id and task.assignee_id != user.pk and not roles & {Role.LEADER, Role.AGENCY_ADMIN}:
        return []
    actions = list(task.step.actions or [])
    if task.returns_to_id:
        actions += [a for a in ("forward", "return") if a not in actions]
    return actions


def approve(dossier: Dossier, user, result_file=None, note: str = "", client_address: str | None = None) -> Dossier:
    """Leader's approval: through the current workflow task when there is one (closing it and
    opening the desk's return step), else as a plain transition. The result upload is stored first."""
    from motcua.workflow import services as wf

    task = current_task(dossier)
    through_task = task is not None and "approve" in task_step_actions(user, task)
    # A transaction of our own only to keep the upload with the approval; without one, the
    # workflow's transaction is the outermost (no savepoint).
    with transaction.atomic() if result_file is not None else nullcontext():
        if result_file is not None:
            store_attachment(dossier, None, result_file, user)
        following = None
        if through_task:
            # complete() sets the decision date and finish date (when not set yet) with the status.
            following = wf.complete(task, "approve", task_actor(user, task, client_address), note=nfc(note))
        else:
            actor = actor_for(user, dossier, "approve", client_address)
            approve_with_result(dossier, actor, None, note)
    if following is not None and following.dossier_id == dossier.pk:
        # The instance complete() locked, wrote and handed to the after-commit receivers (which
        # keep it current when they update the row): no need to read the row again.
        current = following.dossier
        for field in current._meta.concrete_fields:
            setattr(dossier, field.attname, getattr(current, field.attname))
    else:
        dossier.refresh_from_db()
    return dossier


def stop(dossier: Dossier, user, reason: str, client_address: str | None = None) -> Dossier:
    """Stop processing with its reason, through the current task when its step allows it."""
    from motcua.workflow import services as wf

    reason = nfc(reason)
    if len(reason) < 5:
        raise ValidationError("Hãy ghi rõ lý do dừng xử lý.")
    task = current_task(dossier)
    if task is not None and "stop" in task_step_actions(user, task):
        # complete() sets the finish date (when not set yet) with the status.
        wf.complete(task, "stop", task_actor(user, task, client_address), note=reason)
    else:
        stop_processing(dossier, actor_for(user, dossier, "stop", client_address), reason)
    dossier.refresh_from_db()
    return dossier
