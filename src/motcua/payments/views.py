"""Payment pages: the citizen's payment page, the return from a gateway, the IPN endpoint, the
bank-transfer QR, the receipt PDF. Rules live in ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from motcua.dossiers.models import Dossier, Status
from motcua.payments import services
from motcua.payments.models import Payment, PaymentState
from motcua.payments.registry import UnknownGateway, available_gateways, get_gateway

REASON_MESSAGES = {
    "invalid_signature": "Chữ ký của thông tin trả về không hợp lệ. Giao dịch không được ghi nhận.",
    "unknown_order": "Không tìm thấy giao dịch thanh toán tương ứng.",
    "unknown_gateway": "Kênh thanh toán không hợp lệ.",
    "malformed": "Thông tin trả về không hợp lệ.",
}


def can_view(user, dossier) -> bool:
    """The dossier's owner, or staff holding a role at one of its agencies."""
    if not user.is_authenticated:
        return False
    if dossier.owner_id == user.pk or user.is_superuser:
        return True
    agencies = {dossier.receiving_agency_id, dossier.competent_agency_id, dossier.current_agency_id}
    return user.is_staff_member and user.staff_roles.filter(agency_id__in=agencies).exists()


def can_confirm(user, dossier) -> bool:
    """Reception or agency administrators of the dossier's agencies confirm bank transfers."""
    agencies = {dossier.receiving_agency_id, dossier.competent_agency_id, dossier.current_agency_id}
    return bool(user.is_authenticated and user.is_staff_member and user.staff_roles.filter(
        agency_id__in=agencies, role__in=["reception", "agency_admin"]).exists())


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "127.0.0.1"


def _single_params(querydict) -> dict[str, str] | None:
    """A flat dict; None if a parameter is repeated (parameter pollution is refused)."""
    out = {}
    for key, values in querydict.lists():
        if len(values) != 1:
            return None
        out[key] = values[0]
    return out


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def dossier_payment(request, dossier_id: int):
    dossier = get_object_or_404(Dossier.objects.select_related("procedure"), pk=dossier_id)
    if not can_view(request.user, dossier):
        # Same answer as a missing dossier: do not reveal that it exists.
        return render(request, "errors/error.html", {"title": "Không tìm thấy trang",
                      "message": "Không tìm thấy hồ sơ hoặc bạn không có quyền xem."}, status=404)
    gateways = available_gateways()
    open_req = services.open_request(dossier)
    if request.method == "POST" and "confirm_reference" in request.POST:
        return _confirm_transfer(request, dossier)
    if request.method == "POST":
        if dossier.owner_id != request.user.pk:
            return render(request, "errors/error.html", {"title": "Không có quyền",
                          "message": "Chỉ chủ hồ sơ được thực hiện thanh toán trực tuyến."}, status=403)
        try:
            payment, url = services.start_payment(
                dossier, request.POST.get("gateway", ""), request.user, client_ip=_client_ip(request),
                base_url=request.build_absolute_uri("/").rstrip("/"),
            )
        except services.PaymentError as exc:
            messages.error(request, str(exc))
            return redirect("payments:dossier", dossier_id=dossier.pk)
        return redirect(url)
    payments = dossier.payments.prefetch_related("transitions").order_by("-created_at")
    return render(request, "payments/dossier.html", {
        "dossier": dossier, "open_request": open_req, "gateways": gateways, "payments": payments,
        "can_pay": open_req is not None and dossier.status == Status.PAYMENT_REQUESTED
        and dossier.owner_id == request.user.pk,
        "requests": dossier.payment_requests.all(), "can_confirm": can_confirm(request.user, dossier),
    })


def _confirm_transfer(request, dossier):
    """Desk action: a VietQR transfer has reached the account (bank transaction number given)."""
    if not can_confirm(request.user, dossier):
        return render(request, "errors/error.html", {"title": "Không có quyền",
                      "message": "Chỉ cán bộ tiếp nhận của cơ quan được xác nhận chuyển khoản."}, status=403)
    payment = dossier.payments.filter(reference=request.POST.get("confirm_reference", "")).first()
    if payment is None:
        messages.error(request, "Không tìm thấy khoản thanh toán.")
        return redirect("payments:dossier", dossier_id=dossier.pk)
    try:
        services.confirm_bank_transfer(payment, request.user, request.POST.get("bank_ref", ""))
    except services.PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Đã xác nhận khoản chuyển khoản {payment.reference}.")
    return redirect("payments:dossier", dossier_id=dossier.pk)


@never_cache
def gateway_return(request, gateway: str):
    params = _single_params(request.GET)
    if params is None:
        payment, reason = None, "malformed"
    else:
        payment, reason = services.verify_return(gateway, params)
    status = 400 if reason else 200
    show = payment is not None and request.user.is_authenticated and can_view(request.user, payment.dossier)
    return render(request, "payments/return.html", {
        "payment": payment if show else None, "error": REASON_MESSAGES.get(reason, ""),
        "login_needed": payment is not None and not show,
    }, status=status)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ipn(request, gateway: str):
    """Server-to-server notification: always answers the gateway's JSON, never a 500."""
    raw = request.GET if request.method == "GET" else request.POST
    params = _single_params(raw)
    remote = _client_ip(request)
    if params is None:
        scrubbed = {k.replace("\x00", ""): [v.replace("\x00", "") for v in raw.getlist(k)] for k in raw}
        services._log(gateway[:20], "ipn", scrubbed, False, "malformed", "tham số lặp", remote)
        try:
            body, status = get_gateway(gateway).ipn_answer("malformed", False)
        except UnknownGateway:
            body, status = {"detail": "Kênh thanh toán không hợp lệ."}, 404
        return JsonResponse(body, status=status)
    outcome = services.handle_callback(gateway, params, remote_addr=remote, source="ipn")
    if outcome.reason == "unknown_gateway":
        return JsonResponse({"detail": "Kênh thanh toán không hợp lệ."}, status=404)
    return JsonResponse(outcome.answer, status=200)


@login_required
@never_cache
def transfer(request, reference: str):
    payment = get_object_or_404(Payment.objects.select_related("dossier"), reference=reference, gateway="vietqr")
    if not can_view(request.user, payment.dossier):
        return render(request, "errors/error.html", {"title": "Không tìm thấy trang",
                      "message": "Không tìm thấy khoản thanh toán."}, status=404)
    gw = get_gateway("vietqr")
    from django.conf import settings

    return render(request, "payments/transfer.html", {
        "payment": payment, "qr_svg": gw.qr_svg(payment), "payload": gw.payload(payment),
        "bank_bin": settings.VIETQR_BANK_BIN, "account": settings.VIETQR_ACCOUNT,
        "account_name": settings.VIETQR_ACCOUNT_NAME,
    })


@login_required
def receipt(request, reference: str):
    payment = get_object_or_404(
        Payment.objects.select_related("dossier", "dossier__procedure", "dossier__receiving_agency", "request"),
        reference=reference,
    )
    if not can_view(request.user, payment.dossier):
        return render(request, "errors/error.html", {"title": "Không tìm thấy trang",
                      "message": "Không tìm thấy biên lai."}, status=404)
    if payment.state not in (PaymentState.PAID, PaymentState.REFUNDED):
        return render(request, "errors/error.html", {"title": "Chưa có biên lai",
                      "message": "Biên lai chỉ có sau khi khoản thanh toán được xác nhận."}, status=409)
    pdf = services.receipt_pdf(payment)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bien-lai-{payment.reference}.pdf"'
    return response
