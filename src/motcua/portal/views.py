"""Citizen pages: home, online submission (drafts, e-form, attachments, review), "Hồ sơ của tôi",
the document store, supplements and withdrawal, and public tracking. Rules live in
``motcua.dossiers.submission`` / ``attachments`` / ``tracking``; views only translate HTTP."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from motcua.catalog.models import Procedure
from motcua.dossiers import eforms
from motcua.dossiers.attachments import (
    AttachmentRejected,
    add_attachment,
    remove_draft_attachment,
    reusable_results,
    reuse_attachment,
    reuse_result,
    store_for,
)
from motcua.dossiers.models import Attachment, Dossier, ResultMethod, Status
from motcua.dossiers.submission import (
    APPLICANT_FIELDS,
    SubmissionError,
    completeness_errors,
    components_for,
    contact_unconfirmed,
    eform_for,
    get_draft,
    receiving_points,
    save_draft,
    start_draft,
    submit,
    supplement,
    supplement_request,
    withdraw,
)
from motcua.dossiers.tracking import (
    RATE_LIMIT_MESSAGE,
    client_ip,
    dossiers_of_person,
    lookup,
    rate_limited,
)
from motcua.dossiers.transitions import TRANSITIONS


def home(request):
    """Vietnamese home page: search box, popular procedures, how-to."""
    popular = list(
        Procedure.objects.filter(is_active=True).order_by("-popularity", "code").only("code", "name")[:8]
    )
    return render(request, "portal/home.html", {"popular": popular})


# ---------------------------------------------------------------- submission


@login_required
def start(request, code):
    """Choose case and receiving point; resume an existing draft of the same procedure."""
    procedure = get_object_or_404(Procedure, code=code, is_active=True)
    form = eform_for(procedure)
    points = list(receiving_points(procedure))
    cases = list(procedure.cases.all())
    drafts = Dossier.objects.filter(owner=request.user, procedure=procedure, status=Status.DRAFT).order_by("-updated_at")
    status = 200
    error = ""
    if request.method == "POST":
        case = None
        agency = None
        case_id = request.POST.get("case", "")
        if case_id:
            case = next((c for c in cases if str(c.pk) == case_id), None)
        agency_id = request.POST.get("receiving_agency", "")
        if agency_id:
            agency = next((a for a in points if str(a.pk) == agency_id), None)
        if (case_id and case is None) or (agency_id and agency is None):
            error, status = _("Trường hợp hoặc nơi tiếp nhận không hợp lệ."), 400
        elif cases and case is None:
            error, status = _("Vui lòng chọn trường hợp."), 400
        else:
            try:
                dossier = start_draft(
                    request.user, procedure, case=case, receiving_agency=agency,
                    client_token=request.POST.get("client_token", ""),
                )
            except SubmissionError as exc:
                error, status = str(exc), exc.status
            else:
                return redirect("portal:draft", pk=dossier.pk)
    return render(
        request,
        "portal/start.html",
        {
            "procedure": procedure, "has_eform": form is not None, "points": points, "cases": cases,
            "drafts": drafts, "client_token": uuid.uuid4().hex, "error": error,
        },
        status=status,
    )


def _draft_or_404(request, pk) -> Dossier:
    try:
        dossier = get_draft(request.user, pk)
    except SubmissionError:
        raise Http404 from None
    return dossier


def _component_files(dossier: Dossier, components, errors=None) -> list[dict]:
    current = {}
    for att in Attachment.objects.filter(dossier=dossier, is_current=True).order_by("uploaded_at", "id"):
        current.setdefault(att.component_id, []).append(att)
    errors = errors or {}
    return [{"component": c, "files": current.get(c.id, []), "error": errors.get(f"component_{c.id}")} for c in components]


def _process_files(request, dossier: Dossier, components, *, replace: bool = False) -> dict[str, str]:
    """Store uploaded files and reused store files; return {component_N: message} for refusals."""
    errors: dict[str, str] = {}
    store = None
    for component in components:
        key = f"component_{component.id}"
        uploads = request.FILES.getlist(f"upload_{component.id}")
        replaced = False
        for upload in uploads:
            try:
                add_attachment(dossier, component, upload, user=request.user, replace=replace and not replaced)
                replaced = True
            except AttachmentRejected as exc:
                errors[key] = f"«{_short(upload.name)}»: {exc}"
        reuse_id = request.POST.get(f"reuse_{component.id}", "")
        if reuse_id.startswith(RESULT_CHOICE_PREFIX):
            # A signed result of another dossier, reused by reference.
            result_id = reuse_id[len(RESULT_CHOICE_PREFIX):]
            result = reusable_results(request.user).filter(pk=int(result_id) if result_id.isdigit() else 0).first()
            if result is None:
                errors[key] = _("Không tìm thấy kết quả trong kho dữ liệu của bạn.")
            else:
                try:
                    reuse_result(dossier, component, result, user=request.user, replace=replace and not replaced)
                except AttachmentRejected as exc:
                    errors[key] = str(exc)
        elif reuse_id.isdigit():
            store = store if store is not None else {a.pk: a for a in store_for(request.user)}
            source = store.get(int(reuse_id))
            if source is None:
                errors[key] = _("Không tìm thấy tệp trong kho dữ liệu của bạn.")
            else:
                try:
                    reuse_attachment(dossier, component, source, user=request.user, replace=replace and not replaced)
                except AttachmentRejected as exc:
                    errors[key] = str(exc)
    return errors


RESULT_CHOICE_PREFIX = "kq-"


def _short(name: str) -> str:
    from motcua.dossiers.attachments import display_name

    return display_name(name)


def _draft_context(request, dossier: Dossier, errors=None, posted=None) -> dict:
    form = eform_for(dossier.procedure)
    components = list(components_for(dossier))
    values = {name: getattr(dossier, name) for name in APPLICANT_FIELDS}
    values["applicant_type"] = dossier.applicant_type
    values["result_method"] = dossier.result_method
    form_data = dict(dossier.form_data or {})
    errors = errors or {}
    if posted is not None:
        # Show back what the citizen typed where it was refused, so nothing is lost on screen.
        for name in errors:
            if name in APPLICANT_FIELDS:
                values[name] = posted.get(name, "")
            elif name.startswith(eforms.FIELD_PREFIX):
                form_data[name[len(eforms.FIELD_PREFIX):]] = posted.get(name, "")
    eform_errors = {k[len(eforms.FIELD_PREFIX):]: v for k, v in errors.items() if k.startswith(eforms.FIELD_PREFIX)}
    return {
        "dossier": dossier,
        "procedure": dossier.procedure,
        "cases": list(dossier.procedure.cases.all()),
        "points": list(receiving_points(dossier.procedure)),
        "values": values,
        "errors": errors,
        "eform": form,
        "eform_html": eforms.render(form.schema, form.ui, form_data, eform_errors) if form else "",
        "components": _component_files(dossier, components, errors),
        "upload_names": ",".join(f"upload_{c.id}" for c in components),
        "store": store_for(request.user),
        "store_results": list(reusable_results(request.user)),
        "result_prefix": RESULT_CHOICE_PREFIX,
        "result_methods": ResultMethod.choices,
        "max_mb": _max_mb(),
    }


def _max_mb() -> str:
    from django.conf import settings

    return f"{settings.UPLOAD_MAX_BYTES / (1024 * 1024):g}".replace(".", ",")


@login_required
def draft(request, pk):
    """The draft editor: one form (applicant, delegate, e-form, files, result method)."""
    dossier = _draft_or_404(request, pk)
    if dossier.status != Status.DRAFT:
        return redirect("portal:my_dossier", pk=dossier.pk)
    if request.method != "POST":
        return render(request, "portal/draft.html", _draft_context(request, dossier))
    try:
        result = save_draft(dossier, request.POST)
    except SubmissionError as exc:
        messages.error(request, str(exc))
        return redirect("portal:my_dossier", pk=dossier.pk)
    errors = dict(result.errors)
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        remove_draft_attachment(dossier, int(remove))
    errors.update(_process_files(request, dossier, list(components_for(dossier))))
    if errors:
        context = _draft_context(request, dossier, errors, request.POST)
        context["error_summary"] = _("Một số thông tin chưa được lưu. Vui lòng sửa các mục có đánh dấu lỗi; các thông tin hợp lệ khác đã được lưu.")
        return render(request, "portal/draft.html", context, status=400)
    if request.POST.get("action") == "review":
        return redirect("portal:review", pk=dossier.pk)
    messages.success(request, _("Đã lưu bản nháp."))
    return redirect(reverse("portal:draft", args=[dossier.pk]) + "#" + request.POST.get("anchor", "main"))


@login_required
@require_POST
def autosave(request, pk):
    """htmx autosave of the draft: answers a short status line (no files here)."""
    dossier = _draft_or_404(request, pk)
    try:
        result = save_draft(dossier, request.POST)
    except SubmissionError as exc:
        return HttpResponse(eforms.escape(str(exc)), status=exc.status)
    now = timezone.localtime()
    if result.errors:
        labels = []
        form = eform_for(dossier.procedure)
        for name in result.errors:
            if name.startswith(eforms.FIELD_PREFIX) and form:
                labels.append(eforms.label_of(form.schema, name[len(eforms.FIELD_PREFIX):]))
            else:
                labels.append(APPLICANT_FIELDS.get(name, (0, name))[1])
        text = _("Đã lưu lúc %(time)s, trừ các mục chưa hợp lệ: %(fields)s.") % {"time": f"{now:%H:%M:%S}", "fields": ", ".join(labels)}
        return HttpResponse(eforms.escape(text), status=422)
    return HttpResponse(_("Đã tự động lưu lúc %(time)s.") % {"time": f"{now:%H:%M:%S}"})


@login_required
def review(request, pk):
    dossier = _draft_or_404(request, pk)
    if dossier.status != Status.DRAFT:
        # A second post of the submit form lands here: show the dossier already submitted.
        return redirect("portal:my_dossier", pk=dossier.pk)
    status = 200
    if request.method == "POST":
        try:
            submit(dossier, request.user, client_address=client_ip(request))
        except SubmissionError as exc:
            status = exc.status
            if "contact" not in exc.errors:  # the contact warning is shown on the page, with its link
                messages.error(request, str(exc))
        else:
            messages.success(request, _("Nộp hồ sơ thành công. Mã hồ sơ của bạn: %(code)s") % {"code": dossier.code})
            return redirect("portal:my_dossier", pk=dossier.pk)
    form = eform_for(dossier.procedure)
    answers = []
    if form:
        for _title, names in eforms.field_order(form.schema, form.ui or {}):
            for name in names:
                if name in (dossier.form_data or {}):
                    answers.append((eforms.label_of(form.schema, name), eforms.display_value(form.schema, name, dossier.form_data[name])))
    errors = completeness_errors(dossier)
    return render(
        request,
        "portal/review.html",
        {
            "dossier": dossier,
            "answers": answers,
            "errors": errors,
            "components": _component_files(dossier, components_for(dossier), errors),
            "fee_quote": fee_quote_for(dossier),
            "contact_unconfirmed": contact_unconfirmed(request.user),
            # Back to this review once the contact is confirmed.
            "confirm_url": reverse("accounts:confirm") + "?" + urlencode({"next": request.path}),
        },
        status=status,
    )


def fee_quote_for(dossier: Dossier):
    """The fee quote shown before submitting; None when the procedure has no fee at all."""
    from motcua.payments.services import compute_fee

    quote = compute_fee(
        dossier.procedure, dossier.channel, (dossier.form_data or {}).get("applicant_category"), case=dossier.case
    )
    if not any(line.base_amount for line in quote.lines):
        return None
    return quote


@login_required
@require_POST
def delete_draft(request, pk):
    from motcua.dossiers.submission import delete_draft as remove

    dossier = _draft_or_404(request, pk)
    try:
        remove(dossier, request.user)
    except SubmissionError as exc:
        messages.error(request, str(exc))
        return redirect("portal:my_dossier", pk=pk)
    messages.success(request, _("Đã xóa bản nháp."))
    return redirect("portal:my_dossiers")


# ---------------------------------------------------------------- my dossiers


@login_required
def my_dossiers(request):
    qs = Dossier.objects.filter(owner=request.user).select_related("procedure").order_by("-updated_at", "-id")
    status = request.GET.get("trang_thai", "")
    procedure = request.GET.get("thu_tuc", "")
    if status.isdigit():
        qs = qs.filter(status=int(status))
    if procedure:
        qs = qs.filter(procedure__code=procedure[:20])
    procedures = (
        Procedure.objects.filter(dossiers__owner=request.user).distinct().order_by("name").only("code", "name")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("trang"))
    return render(
        request,
        "portal/my_dossiers.html",
        {"page": page, "statuses": Status.choices, "procedures": procedures, "status": status, "procedure": procedure},
    )


def _own_dossier(request, pk) -> Dossier:
    return get_object_or_404(
        Dossier.objects.select_related("procedure", "receiving_agency", "case"), pk=pk, owner=request.user
    )


def _detail_context(request, dossier: Dossier, errors=None) -> dict:
    attachments = list(
        Attachment.objects.filter(dossier=dossier).select_related("component").order_by("component_id", "-version")
    )
    request_data = supplement_request(dossier) if dossier.status == Status.SUPPLEMENT_REQUESTED else None
    return {
        "dossier": dossier,
        "events": [
            {"event": e, "label": TRANSITIONS[e.action].label if e.action in TRANSITIONS else e.action}
            for e in dossier.events.all()
        ],
        "attachments": attachments,
        "supplement": request_data,
        "can_withdraw": dossier.status in TRANSITIONS["withdraw"].sources,
        "errors": errors or {},
        "store": store_for(request.user) if request_data else [],
        "payment_request": _open_payment(dossier),
        "results": _returned_results(dossier),
    }


def _open_payment(dossier: Dossier):
    """The open payment request while the dossier waits for its fee (status 6), else None."""
    if dossier.status != Status.PAYMENT_REQUESTED:
        return None
    from motcua.payments.services import open_request

    return open_request(dossier)


def _returned_results(dossier: Dossier) -> list:
    """The signed electronic results, once the result has been returned (status 10)."""
    if dossier.status != Status.RETURNED:
        return []
    from motcua.documents.models import Result

    return list(Result.objects.filter(dossier=dossier, is_electronic=True).order_by("created_at", "id"))


@login_required
def my_dossier(request, pk):
    dossier = _own_dossier(request, pk)
    if dossier.status == Status.DRAFT:
        return redirect("portal:draft", pk=dossier.pk)
    return render(request, "portal/my_dossier.html", _detail_context(request, dossier))


@login_required
@require_POST
def supplement_view(request, pk):
    dossier = _own_dossier(request, pk)
    if dossier.status != Status.SUPPLEMENT_REQUESTED:
        messages.error(request, _("Hồ sơ không ở trạng thái yêu cầu bổ sung."))
        return redirect("portal:my_dossier", pk=pk)
    request_data = supplement_request(dossier) or {"items": []}
    wanted = [item["component"] for item in request_data["items"] if item.get("component")]
    errors = _process_files(request, dossier, wanted or list(components_for(dossier)), replace=True)
    if not errors:
        try:
            supplement(dossier, request.user, note=request.POST.get("note", ""), client_address=client_ip(request))
        except SubmissionError as exc:
            errors = exc.errors or {"__all__": str(exc)}
    if errors:
        context = _detail_context(request, dossier, errors)
        return render(request, "portal/my_dossier.html", context, status=400)
    messages.success(request, _("Đã gửi bổ sung hồ sơ. Cơ quan sẽ tiếp tục xử lý."))
    return redirect("portal:my_dossier", pk=pk)


@login_required
@require_POST
def withdraw_view(request, pk):
    dossier = _own_dossier(request, pk)
    try:
        withdraw(dossier, request.user, reason=request.POST.get("reason", ""), client_address=client_ip(request))
    except SubmissionError as exc:
        context = _detail_context(request, dossier, {"reason": exc.errors.get("reason", str(exc))})
        return render(request, "portal/my_dossier.html", context, status=exc.status)
    messages.success(request, _("Đã ghi nhận yêu cầu rút hồ sơ."))
    return redirect("portal:my_dossier", pk=pk)


# ---------------------------------------------------------------- document store


@login_required
def store(request):
    """The citizen's files and the signed results of their returned dossiers (reusable in new ones)."""
    return render(
        request, "portal/store.html", {"files": store_for(request.user), "results": reusable_results(request.user)}
    )


@login_required
def store_file(request, pk):
    """Download one of the citizen's own files (never someone else's)."""
    att = get_object_or_404(Attachment, pk=pk, dossier__owner=request.user)
    response = FileResponse(att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=att.original_name)
    return response


# ---------------------------------------------------------------- public tracking


def track(request):
    code = (request.GET.get("ma") or "").strip()
    context = {"code": code[:60], "t": _track_labels()}
    if code:
        if rate_limited("track", client_ip(request)):
            return render(request, "portal/track.html", {**context, "error": _(RATE_LIMIT_MESSAGE)}, status=429)
        found = lookup(code, results=True)  # one query (plus one while awaiting payment or a supplement)
        if found is None:
            context["error"] = _("Không tìm thấy hồ sơ có mã này. Vui lòng kiểm tra lại mã trên giấy tiếp nhận hoặc tin nhắn.")
            return render(request, "portal/track.html", context, status=404)
        context["view"] = found.view
        context["shown"] = _track_shown(found.view)
        context["results"] = found.results
        if found.status == Status.PAYMENT_REQUESTED:
            context["awaiting_payment"] = True
            context["payment_request"] = _open_payment(Dossier(pk=found.pk, status=found.status))
            context["payment_url"] = reverse("payments:dossier", args=[found.pk])
    return render(request, "portal/track.html", context)


def _local_text(value, fmt: str) -> str:
    """What ``{{ value|date:... }}`` shows for "H:i d/m/Y" / "d/m/Y", without the template filter."""
    return timezone.localtime(value).strftime(fmt) if value else ""


# The tracking page's fixed labels, translated once per language and process (a variable costs
# a third of a ``{% translate %}`` tag; the page is the busiest public one).
_TRACK_LABELS = {
    "title": gettext_lazy("Tra cứu hồ sơ"),
    "code": gettext_lazy("Mã hồ sơ"),
    "example": gettext_lazy("Ví dụ:"),
    "search": gettext_lazy("Tra cứu"),
    "forgot": gettext_lazy("Quên mã hồ sơ?"),
    "by_person": gettext_lazy("Tra cứu bằng số điện thoại hoặc thư điện tử và số định danh"),
    "procedure": pgettext_lazy("procedure (singular)", "Thủ tục"),
    "applicant": gettext_lazy("Chủ hồ sơ"),
    "status": gettext_lazy("Trạng thái"),
    "agency": gettext_lazy("Nơi tiếp nhận"),
    "submitted": gettext_lazy("Ngày nộp"),
    "appointment": gettext_lazy("Ngày hẹn trả kết quả"),
    "no_appointment": gettext_lazy("Chưa có (hồ sơ chưa được tiếp nhận)"),
    "timeline": gettext_lazy("Quá trình xử lý"),
}
_track_labels_cache: dict[tuple, dict[str, str]] = {}


def _track_labels() -> dict[str, str]:
    """The labels and the page's own links (``{% url %}`` costs like a translation)."""
    key = (get_language(), get_script_prefix())
    labels = _track_labels_cache.get(key)
    if labels is None:
        labels = {name: str(text) for name, text in _TRACK_LABELS.items()}
        labels.update(
            action=reverse("portal:track"), by_person_url=reverse("portal:track_person"), css=static("portal/forms.css")
        )
        _track_labels_cache[key] = labels
    return labels


_translated: dict[tuple[str, str], str] = {}


def _label(text: str) -> str:
    """``gettext(text)`` remembered per language: the tracking page translates the same few
    status and action labels on every request (a gettext call costs ~10 µs)."""
    key = (get_language(), text)
    found = _translated.get(key)
    if found is None:
        if len(_translated) > 2000:  # labels are a fixed set; never let odd input grow this
            _translated.clear()
        found = _translated[key] = _(text)
    return found


def _track_shown(view: dict) -> dict:
    """Labels translated and dates formatted once in Python: per-event ``{% translate %}`` and
    ``|date`` tags were most of the tracking page's rendering time."""
    timeline = []
    for event in view["timeline"]:
        local = timezone.localtime(event["at"])
        timeline.append(
            {
                "iso": local.isoformat(),
                "text": local.strftime("%H:%M %d/%m/%Y"),
                "action": _label(event["action"]),
                "status": _label(event["status"]) if event["status"] else "",
            }
        )
    return {
        "title": _("Hồ sơ %(code)s") % {"code": view["code"]},
        "status": _label(view["status_label"]),
        "submitted": _local_text(view["submitted_at"], "%H:%M %d/%m/%Y"),
        "appointment": _local_text(view["appointment_at"], "%d/%m/%Y"),
        "timeline": timeline,
        "timeline_html": _timeline_html(timeline),
    }


def _timeline_html(timeline: list[dict]) -> str:
    """The timeline's ``<li>`` items, escaped here: a template loop cost five variable nodes per
    event (the same markup the loop gave; test_tracking_page_timeline_markup compares them)."""
    return mark_safe(
        "".join(
            f'<li><time datetime="{escape(e["iso"])}">{escape(e["text"])}</time> – {escape(e["action"])}'
            + (f" → {escape(e['status'])}" if e["status"] else "")
            + "</li>"
            for e in timeline
        )
    )


LOOKUP_SESSION = "dossier_lookup"
LOOKUP_MINUTES = 15


def track_by_person(request):
    """Forgot the code: phone or e-mail + identity number, confirmed by a one-time code."""
    from motcua.accounts.services import OtpThrottled, issue_otp, verify_otp

    step = request.POST.get("step", "")
    state = request.session.get(LOOKUP_SESSION) or {}
    context: dict = {"state": state}
    status = 200
    if request.method == "POST":
        if rate_limited("track-person", client_ip(request), limit=10):
            return render(request, "portal/track_person.html", {**context, "error": _(RATE_LIMIT_MESSAGE)}, status=429)
        if step == "request":
            contact = eforms.normalise_text(request.POST.get("contact", ""))[:254]
            identity = "".join(request.POST.get("identity", "").split())[:14]
            context.update(contact=contact, identity=identity)
            if not contact or not identity:
                context["error"], status = _("Vui lòng nhập số điện thoại hoặc thư điện tử, và số định danh."), 400
            else:
                found = dossiers_of_person(contact, identity).exists()
                masked = None
                if found:
                    try:
                        masked = issue_otp("dossier_lookup", contact)
                    except OtpThrottled as exc:
                        context["error"], status = exc.messages[0], 429
                    except ValidationError as exc:
                        context["error"], status = exc.messages[0], 400
                if status == 200:
                    state = {"contact": contact, "identity": identity, "verified_until": None}
                    request.session[LOOKUP_SESSION] = state
                    context["state"] = state
                    # Same answer whether or not anything matched: no probing of who has dossiers.
                    context["sent"] = masked or _("địa chỉ bạn đã nhập")
        elif step == "verify" and state.get("contact"):
            if verify_otp("dossier_lookup", state["contact"], request.POST.get("code", "")):
                state["verified_until"] = (timezone.now() + dt.timedelta(minutes=LOOKUP_MINUTES)).isoformat()
                request.session[LOOKUP_SESSION] = state
                return redirect("portal:track_person")
            context["error"], status = _("Mã xác nhận không đúng hoặc đã hết hạn."), 400
            context["sent"] = _("địa chỉ bạn đã nhập")
        elif step == "reset":
            request.session.pop(LOOKUP_SESSION, None)
            return redirect("portal:track_person")
        else:
            context["error"], status = _("Yêu cầu không hợp lệ."), 400
    until = state.get("verified_until")
    if until and dt.datetime.fromisoformat(until) > timezone.now():
        context["dossiers"] = [
            {"code": d.code, "procedure": d.procedure.name, "status": d.get_status_display(), "submitted_at": d.submitted_at}
            for d in dossiers_of_person(state["contact"], state["identity"])[:100]
        ]
    return render(request, "portal/track_person.html", context, status=status)
