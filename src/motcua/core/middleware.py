"""Request hygiene and security headers Django does not handle by itself."""

from urllib.parse import unquote_to_bytes

from django.http import JsonResponse
from django.shortcuts import render

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; form-action 'self' {form_targets}; frame-ancestors 'none'; base-uri 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        extra_targets = getattr(response, "csp_form_targets", "")
        if not request.path.startswith("/quan-tri/"):
            response.headers.setdefault("Content-Security-Policy", CSP.format(form_targets=extra_targets).strip())
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


NUL_MESSAGE = "Dữ liệu gửi lên chứa ký tự không hợp lệ (ký tự NUL). Vui lòng nhập lại."


class RejectNulMiddleware:
    """Answer 400 to any request whose path, query string or JSON body carries a NUL character.

    PostgreSQL cannot store NUL in text, so such input would otherwise surface as a 500 deep in a
    query. Form fields are already covered by Django's ProhibitNullCharactersValidator; this
    covers the rest in one place.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    # Payment gateways' server-to-server callbacks answer in the gateway's own protocol and log
    # every refusal with its reason (payments.views.ipn), so they see the raw input themselves.
    EXEMPT_PREFIXES = ("/thanh-toan/ipn/",)

    def __call__(self, request):
        if request.path.startswith(self.EXEMPT_PREFIXES):
            return self.get_response(request)
        query = request.META.get("QUERY_STRING", "")
        has_nul = "\x00" in request.path or ("%00" in query and b"\x00" in unquote_to_bytes(query))
        if not has_nul and request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            has_nul = b"\\u0000" in body or b"\x00" in body
        if has_nul:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "errors/error.html", {"title": "Yêu cầu không hợp lệ", "message": NUL_MESSAGE}, status=400)
        return self.get_response(request)
