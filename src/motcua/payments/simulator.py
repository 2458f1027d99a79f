"""The payment simulator (development and tests only, ``PAYMENT_SIMULATOR_ENABLED``).

It plays the gateway's part: checks the signed payment request, shows the order, lets the user
pay or cancel, signs the result with the gateway's key, notifies our IPN through the same
verification path the real IPN endpoint uses (``services.handle_callback``), then redirects the
browser to the return URL with the signed result, exactly as the gateway would. It also answers
the gateways' query APIs from what it processed (so reconciliation runs offline).
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from motcua.payments import services
from motcua.payments.models import SimulatorTransaction
from motcua.payments.registry import UnknownGateway, get_gateway

BANNER = "MÔ PHỎNG – KHÔNG PHẢI CỔNG THANH TOÁN THẬT"


def _gateway(code: str):
    if not settings.PAYMENT_SIMULATOR_ENABLED:
        raise Http404("Trình mô phỏng thanh toán không được bật.")
    try:
        gw = get_gateway(code)
    except UnknownGateway:
        raise Http404("Không có cổng thanh toán này.") from None
    if not hasattr(gw, "simulate_result"):
        raise Http404("Cổng này không có trình mô phỏng.")
    return gw


def _flat(querydict) -> dict[str, str]:
    return {k: querydict.get(k) for k in querydict}


@never_cache
@require_http_methods(["GET", "POST"])
def simulator(request, gateway: str):
    gw = _gateway(gateway)
    if request.method == "GET":
        params = _flat(request.GET)
    else:
        from django.http import QueryDict

        params = _flat(QueryDict(request.POST.get("request", "")))
    if not gw.verify_start(params):
        return render(request, "payments/simulator.html", {"banner": BANNER, "gateway": gw,
                      "error": "Yêu cầu thanh toán có chữ ký không hợp lệ."}, status=400)
    order = gw.simulator_order(params)
    if not url_has_allowed_host_and_scheme(order["return_url"], allowed_hosts={request.get_host()}):
        return render(request, "payments/simulator.html", {"banner": BANNER, "gateway": gw,
                      "error": "Địa chỉ trả về không thuộc trang này."}, status=400)
    if request.method == "GET":
        return render(request, "payments/simulator.html", {
            "banner": BANNER, "gateway": gw, "order": order, "amount": services.format_vnd(order["amount"]),
            "request_query": request.GET.urlencode(),
        })
    success = request.POST.get("action") == "pay"
    with transaction.atomic():
        txn, _ = SimulatorTransaction.objects.get_or_create(
            gateway=gw.code, reference=order["reference"],
            defaults={"transaction_id": str(secrets.randbelow(10**8) + 10**7), "amount": order["amount"],
                      "status": "00" if success else "24"},
        )
    # A repeated submit (back button) replays the first result, like a real gateway would.
    result = gw.simulate_result(params, success=txn.status == "00", transaction_no=txn.transaction_id)
    if not request.POST.get("skip_ipn"):
        services.handle_callback(gw.code, result, remote_addr=request.META.get("REMOTE_ADDR"), source="ipn")
    return redirect(f"{order['return_url']}?{urlencode(result)}")


@csrf_exempt
@require_POST
def simulator_api(request, gateway: str):
    """The gateway's query API (VNPAY querydr, national platform query), answered from the simulator's records."""
    gw = _gateway(gateway)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"detail": "Dữ liệu JSON không hợp lệ."}, status=400)

    def lookup(reference: str):
        return SimulatorTransaction.objects.filter(gateway=gw.code, reference=reference).first()

    return JsonResponse(gw.simulate_query_answer(body, lookup))
