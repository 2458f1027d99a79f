"""Pages of documents: form PDFs for staff and owners, results, and public verification (/xac-thuc/)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_http_methods

from motcua.core.text import nfc
from motcua.documents import forms as doc_forms
from motcua.documents import services, signing
from motcua.documents.models import Result, Shipment
from motcua.dossiers.models import Dossier
from motcua.organisations.models import Role, StaffRole


def can_act(user, dossier) -> bool:
    """Staff of an agency that received, handles or holds the dossier (the workflow's rule when present)."""
    try:
        from motcua.workflow.services import can_act as workflow_can_act
    except ImportError:  # pragma: no cover - the workflow app is optional for this module
        workflow_can_act = None
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_member", False):
        return False
    if workflow_can_act is not None:
        return workflow_can_act(user, dossier)
    agencies = {dossier.receiving_agency_id, dossier.competent_agency_id, dossier.current_agency_id} - {None}
    return StaffRole.objects.filter(user=user, agency_id__in=agencies).exists()


def _pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _parse_when(value: str | None):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValidationError("Ngày hẹn mới không hợp lệ (dạng YYYY-MM-DD).")
        parsed = dt.datetime.combine(day, dt.time(16, 30))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _apology_extra(dossier, request, *, from_query: bool) -> dict:
    """Old/new date and reason: from the latest apology event, or (staff only) the query string.

    An applicant's request never supplies text: the letter only says what the agency recorded.
    """
    event = dossier.events.filter(action__in=doc_forms.APOLOGY_ACTIONS).order_by("-at", "-id").first()
    data = (event.data if event else {}) or {}
    query = request.GET if from_query else {}
    extra = {
        "reason": nfc(query.get("ly_do"))[:1000] or data.get("reason") or (event.note if event else ""),
        "new_date": _parse_when(query.get("ngay_hen_moi") or data.get("new_date")),
    }
    if data.get("old_date"):
        extra["old_date"] = _parse_when(data["old_date"])
    return extra


def _render(dossier, form_code, request, *, staff: bool):
    extra = _apology_extra(dossier, request, from_query=staff) if form_code == "apology" else {}
    return doc_forms.render_form(form_code, dossier, **extra)


@login_required
def staff_form_pdf(request, dossier_id: int, form_code: str):
    if form_code not in doc_forms.DOSSIER_FORMS:
        raise Http404("Không có mẫu phiếu này.")
    dossier = get_object_or_404(Dossier.objects.select_related("procedure", "receiving_agency", "competent_agency"), pk=dossier_id)
    if not can_act(request.user, dossier):
        raise PermissionDenied("Bạn không thuộc cơ quan tiếp nhận hoặc giải quyết hồ sơ này.")
    if not dossier.code:
        return HttpResponse("Hồ sơ chưa có mã, chưa thể in phiếu.", status=409, content_type="text/plain; charset=utf-8")
    try:
        pdf = _render(dossier, form_code, request, staff=True)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    return _pdf_response(pdf, f"{form_code}-{dossier.code}.pdf")


@login_required
def owner_form_pdf(request, dossier_id: int, form_code: str):
    if form_code not in doc_forms.APPLICANT_FORMS:
        raise Http404("Không có mẫu phiếu này.")
    dossier = get_object_or_404(Dossier, pk=dossier_id, owner=request.user)
    if form_code not in doc_forms.available_forms(dossier):
        raise Http404("Hồ sơ chưa có phiếu này.")
    try:
        pdf = _render(dossier, form_code, request, staff=False)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    return _pdf_response(pdf, f"{form_code}-{dossier.code}.pdf")


# --- Results ----------------------------------------------------------------------------------


def _is_leader_of(user, agency) -> bool:
    return StaffRole.objects.filter(user=user, agency=agency, role=Role.LEADER).exists()


@login_required
@require_http_methods(["GET", "POST"])
def staff_results(request, dossier_id: int):
    """The dossier's results; a leader of the competent agency signs and issues a new one."""
    dossier = get_object_or_404(Dossier.objects.select_related("procedure", "competent_agency"), pk=dossier_id)
    if not can_act(request.user, dossier):
        raise PermissionDenied("Bạn không thuộc cơ quan tiếp nhận hoặc giải quyết hồ sơ này.")
    is_leader = _is_leader_of(request.user, dossier.competent_agency)
    status = 200
    if request.method == "POST":
        if not is_leader:
            raise PermissionDenied("Chỉ lãnh đạo cơ quan giải quyết được ký số kết quả.")
        name = nfc(request.POST.get("name"))[:255]
        upload = request.FILES.get("file")
        try:
            if not name:
                raise ValidationError("Vui lòng nhập tên kết quả.")
            if upload is not None:
                result = services.issue_result(dossier, upload, request.user, name)
            else:
                result = services.issue_certificate(dossier, request.user, name)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, f"Đã ký số và phát hành kết quả {result.code}.")
            return redirect("documents:staff_results", dossier_id=dossier.pk)
    results = dossier.results.select_related("signer_agency").all()
    return render(
        request,
        "documents/staff_results.html",
        {"dossier": dossier, "results": results, "is_leader": is_leader, "forms": doc_forms.form_links(dossier),
         "shipments": dossier.shipments.all(), "shipment_statuses": Shipment.Status.choices},
        status=status,
    )


@login_required
@require_http_methods(["POST"])
def staff_shipment(request, dossier_id: int):
    """Record (or update) the postal shipment of the dossier's result: carrier, tracking code, status."""
    dossier = get_object_or_404(Dossier, pk=dossier_id)
    if not can_act(request.user, dossier):
        raise PermissionDenied("Bạn không thuộc cơ quan tiếp nhận hoặc giải quyết hồ sơ này.")
    try:
        shipment = services.record_shipment(
            dossier,
            carrier=request.POST.get("carrier", "")[:60],
            tracking_code=request.POST.get("tracking_code", "")[:60],
            status=request.POST.get("status") or "created",
            note=request.POST.get("note", "")[:255],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        results = dossier.results.select_related("signer_agency").all()
        return render(
            request,
            "documents/staff_results.html",
            {"dossier": dossier, "results": results, "is_leader": _is_leader_of(request.user, dossier.competent_agency),
             "forms": doc_forms.form_links(dossier), "shipments": dossier.shipments.all(),
             "shipment_statuses": Shipment.Status.choices},
            status=400,
        )
    messages.success(request, f"Đã ghi nhận vận đơn {shipment.tracking_code}: {shipment.get_status_display()}.")
    return redirect("documents:staff_results", dossier_id=dossier.pk)


@login_required
def staff_result_file(request, dossier_id: int, result_id: int):
    result = get_object_or_404(Result.objects.select_related("dossier"), pk=result_id, dossier_id=dossier_id)
    if not can_act(request.user, result.dossier):
        raise PermissionDenied
    return FileResponse(result.file.open("rb"), content_type="application/pdf", filename=f"{result.code}.pdf")


@login_required
def owner_result_file(request, dossier_id: int, result_id: int):
    result = get_object_or_404(Result, pk=result_id, dossier_id=dossier_id, dossier__owner=request.user)
    return FileResponse(result.file.open("rb"), content_type="application/pdf", filename=f"{result.code}.pdf")


# --- Public verification ------------------------------------------------------------------------


def _check_upload(request):
    """The uploaded PDF's bytes, or an (error message, status) pair."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, ("Vui lòng chọn tệp PDF cần kiểm tra.", 400)
    if upload.size > settings.VERIFY_UPLOAD_MAX_BYTES:
        limit = settings.VERIFY_UPLOAD_MAX_BYTES // (1024 * 1024)
        return None, (f"Tệp quá lớn: chỉ kiểm tra tệp PDF tối đa {limit} MB.", 413)
    data = upload.read(settings.VERIFY_UPLOAD_MAX_BYTES + 1)
    if not data.startswith(b"%PDF-"):
        return None, ("Tệp tải lên không phải là tệp PDF.", 400)
    return data, None


@require_http_methods(["GET", "POST"])
def verify(request, result_id: int | None = None):
    """Verification page (the QR target of results): stored result facts, live signature check,
    and an upload to check a copy is genuine and unmodified."""
    result = None
    if result_id is not None:
        result = get_object_or_404(Result.objects.select_related("signer_agency"), pk=result_id)
    context: dict = {"result": result, "max_mb": settings.VERIFY_UPLOAD_MAX_BYTES // (1024 * 1024)}
    status = 200
    if result is not None:
        stored = result.file.open("rb").read()
        context["stored_intact"] = services.sha256_hex(stored) == result.sha256
        context["stored_report"] = signing.verify_pdf(stored)
    if request.method == "POST":
        data, error = _check_upload(request)
        if error:
            context["upload_error"], status = error
        else:
            report = signing.verify_pdf(data)
            digest = services.sha256_hex(data)
            context.update(upload_report=report, upload_sha256=digest, upload_size=len(data))
            if result is not None:
                context["upload_matches"] = digest == result.sha256
                context["upload_ok"] = report.ok and digest == result.sha256
            else:
                match = Result.objects.filter(sha256=digest).select_related("signer_agency").first()
                context["upload_matches"] = match is not None
                context["matched_result"] = match
                context["upload_ok"] = report.ok
    return render(request, "documents/verify.html", context, status=status)
