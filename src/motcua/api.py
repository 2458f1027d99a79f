"""The public JSON API at /api/v1/, OpenAPI 3.1 at /api/v1/openapi.json.

Each domain app owns its router in ``<app>/api.py`` exposing ``router``; they are mounted here.
Validation errors are answered with 422 and a Vietnamese message, never a 500.
"""

from importlib import import_module

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

api = NinjaAPI(
    title="MotCua API",
    version="1.0.0",
    description="API của hệ thống Một cửa điện tử: thủ tục, hồ sơ, thanh toán, thống kê.",
    urls_namespace="api",
)

ROUTERS = [
    ("catalog", "/procedures", "Thủ tục hành chính"),
    ("organisations", "/agencies", "Cơ quan, đơn vị"),
    ("dossiers", "/dossiers", "Hồ sơ"),
    ("payments", "/payments", "Thanh toán"),
    ("documents", "/documents", "Văn bản, kết quả"),
    ("stats", "/stats", "Thống kê"),
]

for app_label, prefix, tag in ROUTERS:
    try:
        module = import_module(f"motcua.{app_label}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"motcua.{app_label}.api":
            raise
        continue
    api.add_router(prefix, module.router, tags=[tag])


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    details = []
    for err in exc.errors:
        loc = ".".join(str(part) for part in err.get("loc", []) if part not in ("query", "body", "path"))
        details.append({"field": loc, "message": err.get("msg", "")})
    return api.create_response(
        request,
        {"detail": "Dữ liệu gửi lên không hợp lệ. Vui lòng kiểm tra lại các trường được nêu.", "errors": details},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(request, {"detail": "Bạn cần đăng nhập hoặc cung cấp mã truy cập hợp lệ."}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Không tìm thấy dữ liệu yêu cầu."}, status=404)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
