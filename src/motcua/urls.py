"""Root URL configuration. Each app contributes its own ``urls.py``; pages live in ``portal``
(citizens) and ``office`` (staff)."""

from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from motcua.api import api
from motcua.core import views as core_views

admin.site.site_header = "Quản trị MotCua"
admin.site.site_title = "Quản trị MotCua"
admin.site.index_title = "Dữ liệu danh mục"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("quan-tri/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("ngon-ngu/<str:code>", core_views.choose_language, name="choose_language"),
]
if settings.BENCH_ENDPOINTS and settings.MOTCUA_ENV != "production":
    # First, so that the benchmarks' ceiling does not pay for resolving past every other route.
    urlpatterns[1:1] = [
        path("bench/trivial", core_views.bench_trivial),
        path("bench/db", core_views.bench_db),
    ]

# Apps with pages. No two apps' routes overlap, so the order is the busiest first: Django tries
# the patterns one by one, and the public pages (tracking, catalogue) take most of the traffic.
for app_label in ["portal", "catalog", "payments", "office", "documents", "accounts", "stats", "workflow", "dossiers"]:
    try:
        import_module(f"motcua.{app_label}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"motcua.{app_label}.urls":
            raise
        continue
    urlpatterns.append(path("", include(f"motcua.{app_label}.urls")))

if settings.DEBUG or settings.MOTCUA_ENV != "production":
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "motcua.core.views.bad_request"
handler403 = "motcua.core.views.permission_denied"
handler404 = "motcua.core.views.page_not_found"
handler500 = "motcua.core.views.server_error"
