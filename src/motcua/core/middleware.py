"""Security headers Django does not set by itself."""

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
