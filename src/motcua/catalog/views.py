"""Public catalogue pages: search with as-you-type suggestions, procedure detail (printable)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import services
from .models import Channel, DocumentComponent, OnlineService, Procedure, ServiceLevel
from .search import MAX_COUNT, SearchError

PER_PAGE = 20


def _int(value, default=1):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@require_GET
def procedure_list(request):
    q = request.GET.get("q", "")[:200]
    params = {
        "field": request.GET.get("linh-vuc", "")[:40] or None,
        "level": request.GET.get("cap", "")[:20] or None,
        "service_level": request.GET.get("muc-do", "")[:20] or None,
    }
    page = _int(request.GET.get("trang"), 1)
    error = ""
    try:
        results, total, facets = services.search_procedures(q=q, page=page, per_page=PER_PAGE, **params)
    except SearchError as exc:
        error, results, total, facets = str(exc), [], 0, {"fields": [], "levels": []}
    context = {
        "q": q,
        "params": params,
        "results": results,
        "total": total,
        "total_capped": total > MAX_COUNT,
        "max_count": MAX_COUNT,
        "facets": facets,
        "page": page,
        "has_prev": page > 1,
        "has_next": page * PER_PAGE < total,
        "error": error,
        "service_levels": ServiceLevel.choices,
        "level_names": dict(Procedure.Level.choices),
    }
    return render(request, "catalog/list.html", context, status=400 if error else 200)


@require_GET
def suggestions(request):
    q = request.GET.get("q", "")[:200]
    return render(request, "catalog/_suggestions.html", {"q": q, "items": services.suggest_procedures(q)})


def _channel_rows(procedure):
    rows = []
    for ch in sorted(procedure.channels.all(), key=lambda c: (c.channel, c.id)):
        rows.append({"channel": ch, "fees": list(ch.fees.all())})
    return rows


@require_GET
def procedure_detail(request, code):
    procedure = get_object_or_404(services._prefetched(Procedure.objects.all()), code=code)
    online = (
        OnlineService.objects.filter(procedure=procedure, service_level__in=[ServiceLevel.PARTIAL, ServiceLevel.FULL])
        .select_related("agency")
        .order_by("-service_level", "agency__name")
    )
    online = list(online[:50])
    groups: dict[str, list] = {}
    for comp in procedure.components.all():
        groups.setdefault(comp.group, []).append(comp)
    context = {
        "p": procedure,
        "channels": _channel_rows(procedure),
        "component_groups": list(groups.items()),
        "online": online,
        "is_full_online": any(s.service_level == ServiceLevel.FULL for s in online),
        "level_names": dict(Procedure.Level.choices),
        "channel_names": dict(Channel.choices),
    }
    return render(request, "catalog/detail.html", context)


@require_GET
def component_template(request, code, pk):
    comp = get_object_or_404(DocumentComponent.objects.select_related("procedure"), pk=pk, procedure__code=code)
    if comp.template_file:
        try:
            return FileResponse(comp.template_file.open("rb"), as_attachment=True, filename=comp.template_file.name.rsplit("/", 1)[-1])
        except (FileNotFoundError, OSError) as exc:
            raise Http404("Không tìm thấy tệp mẫu.") from exc
    if comp.template_url:
        return HttpResponseRedirect(comp.template_url)
    raise Http404("Thành phần hồ sơ này chưa có tệp mẫu để tải.")
