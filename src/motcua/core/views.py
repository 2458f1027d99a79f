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
