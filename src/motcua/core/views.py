from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness and database check for load balancers and `make run`."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the probe must answer, whatever the database does
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def choose_language(request, code):
    """The footer's language links: set the language cookie and go back where the person was.

    A plain link rather than Django's POST form, so that pages need no CSRF token (and anonymous
    visitors no cookie) just to offer the switch; changing one's own display language is not a
    state change worth protecting from cross-site requests.
    """
    from django.conf import settings
    from django.http import HttpResponseNotFound, HttpResponseRedirect
    from django.utils.http import url_has_allowed_host_and_scheme

    if code not in dict(settings.LANGUAGES):
        return HttpResponseNotFound(_("Không có ngôn ngữ này.").encode(), content_type="text/plain; charset=utf-8")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _error(request, status, title, message):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "errors/error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Yêu cầu không hợp lệ"), _("Yêu cầu gửi lên không hợp lệ. Vui lòng kiểm tra và thử lại."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("Không có quyền truy cập"), _("Bạn không có quyền xem trang này."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Không tìm thấy trang"), _("Trang bạn tìm không tồn tại hoặc đã được chuyển đi."))


def server_error(request):
    return _error(request, 500, _("Lỗi hệ thống"), _("Hệ thống gặp sự cố. Dữ liệu bạn đã lưu không bị mất; vui lòng thử lại sau."))


def bench_trivial(request):
    """The ceiling of the benchmarks: the cheapest possible Django response."""
    return HttpResponse(b"ok", content_type="text/plain")


def bench_db(request):
    """The ceiling with one primary-key read."""
    from motcua.organisations.models import Agency

    agency = Agency.objects.order_by("pk").values_list("pk", "code").first()
    return JsonResponse({"agency": agency})
