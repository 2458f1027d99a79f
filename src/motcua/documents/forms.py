"""The standard one-stop forms of Circular 01/2018/TT-VPCP (DOMAIN.md section 3) as PDFs.

``render_form(code, dossier, **extra)`` builds each form's context from the dossier and its event
history, then renders ``documents/forms/<code>.html`` (or its active edited version).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from motcua.documents.models import FormCode
from motcua.documents.services import FORMS_DIR, qr_svg, render_pdf, tracking_url, vn_date_line, vn_datetime

#: Forms an applicant may download for their own dossier.
APPLICANT_FORMS = ("receipt", "supplement_request", "refusal", "apology", "stop_notice")
#: Forms about one dossier (everything but the register).
DOSSIER_FORMS = ("receipt", "supplement_request", "refusal", "apology", "stop_notice", "control_slip")
ALL_FORMS = (*DOSSIER_FORMS, "register")

TITLES = {code: label for code, label in FormCode.choices}

ACTION_LABELS = {
    "submit": "Nộp hồ sơ trực tuyến",
    "receive_at_counter": "Tiếp nhận tại quầy",
    "accept": "Tiếp nhận hồ sơ",
    "refuse": "Từ chối tiếp nhận",
    "start_processing": "Chuyển xử lý",
    "request_supplement": "Yêu cầu bổ sung hồ sơ",
    "supplement": "Bổ sung hồ sơ",
    "request_payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "payment_received": "Đã thanh toán",
    "withdraw": "Rút hồ sơ",
    "stop": "Dừng xử lý",
    "approve": "Phê duyệt kết quả",
    "return_result": "Trả kết quả",
    "transfer": "Chuyển liên thông",
    "assign": "Phân công xử lý",
    "forward": "Chuyển tiếp",
}


class UnknownForm(LookupError):
    pass


def _transitions_labels() -> dict[str, str]:
    try:
        from motcua.dossiers.transitions import TRANSITIONS

        return {**ACTION_LABELS, **{k: t.label for k, t in TRANSITIONS.items()}}
    except ImportError:  # pragma: no cover
        return ACTION_LABELS


def base_context(dossier, *, agency=None, when: dt.datetime | None = None) -> dict:
    """What every form shows: national emblem text, agency header, date line, QR to tracking."""
    agency = agency or (dossier.receiving_agency if dossier is not None else None)
    ctx = {
        "dossier": dossier,
        "agency": agency,
        "parent_agency": agency.parent if agency is not None else None,
        "date_line": vn_date_line(agency, when) if agency is not None else "",
        "now": timezone.localtime(),
    }
    if dossier is not None and dossier.code:
        url = tracking_url(dossier)
        ctx.update(tracking_url=url, qr=qr_svg(url))
    return ctx


def _latest_event(dossier, *actions):
    return dossier.events.filter(action__in=actions).select_related("actor", "agency").order_by("-at", "-id").first()


def _duration_text(dossier) -> str:
    channel = dossier.procedure.channels.filter(channel=dossier.channel).exclude(duration_value=None).first()
    if channel is None:
        channel = dossier.procedure.channels.exclude(duration_value=None).first()
    if channel is None:
        return ""
    value = channel.duration_value
    value = int(value) if value == int(value) else value
    return f"{value} {channel.get_duration_unit_display()}"


def _components_received(dossier) -> list[dict]:
    rows: dict = {}
    for att in dossier.attachments.filter(is_current=True).select_related("component").order_by("component_id", "id"):
        key = att.component_id or f"a{att.pk}"
        if key in rows:
            rows[key]["quantity"] += 1
            continue
        comp = att.component
        rows[key] = {
            "name": comp.name if comp else att.original_name,
            "form": comp.get_form_display() if comp else "Bản điện tử",
            "quantity": 1,
            "electronic": True,
        }
    return list(rows.values())


def _receipt(dossier, ctx, extra):
    event = _latest_event(dossier, "accept", "receive_at_counter")
    ctx.update(
        components=extra.get("components") or _components_received(dossier),
        duration=_duration_text(dossier),
        received_at=vn_datetime(dossier.received_at or (event.at if event else None)),
        appointment_at=vn_datetime(dossier.appointment_at),
        receiver=(event.actor.display_name if event and event.actor else ""),
    )
    if dossier.received_at:
        ctx["date_line"] = vn_date_line(ctx["agency"], dossier.received_at)


def _supplement_request(dossier, ctx, extra):
    event = _latest_event(dossier, "request_supplement")
    data = (event.data if event else {}) or {}
    items = extra.get("items") or data.get("items") or []
    ctx.update(
        items=items,
        note=extra.get("note") or data.get("note") or (event.note if event else ""),
        requester=(event.actor.display_name if event and event.actor else ""),
        requested_at=event.at if event else None,
    )
    if event and event.agency_id:
        ctx["agency"] = event.agency
        ctx["parent_agency"] = event.agency.parent
        ctx["date_line"] = vn_date_line(event.agency, event.at)


def _refusal(dossier, ctx, extra):
    event = _latest_event(dossier, "refuse")
    ctx.update(
        reason=extra.get("reason") or (event.note if event else ""),
        refused_by=(event.actor.display_name if event and event.actor else ""),
        submitted_at=vn_datetime(dossier.submitted_at),
    )
    if event:
        ctx["date_line"] = vn_date_line(ctx["agency"], event.at)


def _apology(dossier, ctx, extra):
    ctx.update(
        old_date=vn_datetime(extra.get("old_date") or dossier.appointment_at),
        new_date=vn_datetime(extra.get("new_date")) if extra.get("new_date") else "",
        reason=extra.get("reason", ""),
        received_at=vn_datetime(dossier.received_at),
    )


def _stop_notice(dossier, ctx, extra):
    event = _latest_event(dossier, "stop")
    ctx.update(
        reason=extra.get("reason") or (event.note if event else ""),
        stopped_by=(event.actor.display_name if event and event.actor else ""),
        received_at=vn_datetime(dossier.received_at),
    )
    if event:
        ctx["date_line"] = vn_date_line(ctx["agency"], event.at)


def control_slip_rows(dossier) -> list[dict]:
    """Every hand-over of the dossier: who gave, who received, when, with what outcome.

    Each event is a hand-over by its actor; the receiver is named in the event data
    (``to_user_name`` / ``to_agency_name``, set by the workflow) or else is whoever acted next.
    """
    labels = _transitions_labels()
    events = list(dossier.events.select_related("actor", "agency").order_by("at", "id"))
    appointment = dossier.appointment_at
    rows = []
    for index, event in enumerate(events):
        nxt = events[index + 1] if index + 1 < len(events) else None
        data = event.data or {}
        giver = event.actor.display_name if event.actor else ("Hệ thống" if event.actor_role == "system" else "Người nộp hồ sơ")
        receiver = data.get("to_user_name") or ""
        receiver_agency = data.get("to_agency_name") or ""
        if not receiver and nxt is not None:
            receiver = nxt.actor.display_name if nxt.actor else ""
            receiver_agency = receiver_agency or (nxt.agency.name if nxt.agency else "")
        if appointment and event.to_status and event.at > appointment:
            timing = "Quá hạn"
        elif appointment and event.to_status in (9, 10):
            timing = "Trước hạn" if event.at.date() < timezone.localtime(appointment).date() else "Đúng hạn"
        else:
            timing = ""
        rows.append(
            {
                "index": index + 1,
                "giver": giver,
                "giver_agency": event.agency.name if event.agency else "",
                "receiver": receiver,
                "receiver_agency": receiver_agency,
                "at": event.at,
                "at_text": vn_datetime(event.at),
                "outcome": labels.get(event.action, event.action),
                "note": event.note,
                "timing": timing,
            }
        )
    return rows


def _control_slip(dossier, ctx, extra):
    ctx["rows"] = control_slip_rows(dossier)
    ctx["agency"] = dossier.receiving_agency
    ctx["parent_agency"] = dossier.receiving_agency.parent


def _register(dossier, ctx, extra):
    dossiers = extra.get("dossiers")
    if dossiers is None:
        dossiers = [dossier] if dossier is not None else []
    ctx.update(
        dossiers=[
            {
                "d": d,
                "received_at": d.received_at or d.submitted_at,
                "returned_at": d.returned_at,
            }
            for d in dossiers
        ],
        period=extra.get("period", ""),
        book=extra.get("book", ""),
    )


BUILDERS = {
    "receipt": (_receipt, "receiving_agency"),
    "supplement_request": (_supplement_request, "receiving_agency"),
    "refusal": (_refusal, "receiving_agency"),
    "apology": (_apology, "competent_agency"),
    "stop_notice": (_stop_notice, "competent_agency"),
    "control_slip": (_control_slip, "receiving_agency"),
    "register": (_register, "receiving_agency"),
}


def form_context(form_code: str, dossier, **extra) -> dict:
    try:
        builder, agency_field = BUILDERS[form_code]
    except KeyError:
        raise UnknownForm(f"Không có mẫu phiếu «{form_code}».") from None
    agency = extra.pop("agency", None) or (getattr(dossier, agency_field) if dossier is not None else None)
    ctx = base_context(dossier, agency=agency)
    if form_code == "register":
        ctx.pop("qr", None)
        ctx.pop("tracking_url", None)
    ctx["form_code"] = form_code
    ctx["form_title"] = TITLES[form_code]
    builder(dossier, ctx, extra)
    return ctx


def render_form(form_code: str, dossier, **extra) -> bytes:
    """PDF of one standard form for ``dossier`` (``register`` takes ``dossiers=[...]`` instead)."""
    ctx = form_context(form_code, dossier, **extra)
    return render_pdf(f"{FORMS_DIR}{form_code}.html", ctx)


#: Events after which an apology letter exists (recorded by the workflow when a deadline is extended).
APOLOGY_ACTIONS = ("apologise", "apology", "extend_deadline")

_FORM_EVENTS = {
    "receipt": ("accept", "receive_at_counter"),
    "supplement_request": ("request_supplement",),
    "refusal": ("refuse",),
    "apology": APOLOGY_ACTIONS,
    "stop_notice": ("stop",),
}


def available_forms(dossier) -> list[str]:
    """The forms that were actually issued for ``dossier`` (by its event history), in display order."""
    if dossier is None or not dossier.code:
        return []
    actions = set(dossier.events.values_list("action", flat=True))
    found = [code for code, acts in _FORM_EVENTS.items() if actions & set(acts)]
    if "receipt" not in found and dossier.received_at:
        found.insert(0, "receipt")
    return [*found, "control_slip"]


def form_links(dossier, *, for_owner: bool = False) -> list[dict]:
    """Links to the dossier's form PDFs, for the staff and citizen dossier pages."""
    prefix = "/ho-so-cua-toi" if for_owner else "/can-bo/ho-so"
    codes = [c for c in available_forms(dossier) if not for_owner or c in APPLICANT_FORMS]
    return [{"code": c, "title": TITLES[c], "url": f"{prefix}/{dossier.pk}/phieu/{c}.pdf"} for c in codes]
