"""Public catalogue pages: search with as-you-type suggestions, procedure detail (printable)."""

from __future__ import annotations

from html import escape as esc  # what autoescaping does (django.utils.html.escape), without its lazy wrapper
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import services
from .models import Channel, DocumentComponent, OnlineService, Procedure, ServiceLevel
from .search import MAX_COUNT, SearchError

PER_PAGE = 20
CURRENT = ' aria-current="true"'


def _int(value, default=1):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _href(q: str, **params) -> str:
    """``?q=…&linh-vuc=…`` in the order given, empty parameters left out: the bytes the template
    used to write (q URL-encoded, the other values HTML-escaped), built once per link in Python.
    ``q`` is already URL-encoded."""
    return mark_safe(f"?q={q}" + "".join(f"&{name.replace('_', '-')}={esc(value)}" for name, value in params.items() if value))


def _count(n: int) -> str:
    """``{{ n }}``: localize() only groups thousands, so smaller counts need not go through it."""
    return str(n) if 0 <= n < 1000 else str(localize(n))


def _list_links(q: str, params: dict, page: int, facets: dict, results) -> dict:
    """Facet and pager links and the result items, prepared for catalog/list.html (the same markup
    the template built with nested tags and loops, which were most of the page's CPU)."""
    field, level, service_level = params["field"], params["level"], params["service_level"]
    q = quote(q, safe="/")
    labels = {code: _(label) for code, label in Procedure.Level.choices}
    online = f'<span class="badge">{esc(_("Có dịch vụ trực tuyến"))}</span>'
    items = []
    for p in results:
        details = [p.code, *([p.field.name] if p.field else []), *(labels.get(lv) or (_(lv) if lv else lv) for lv in p.levels)]
        items.append(
            f'\n  <li class="card">\n    <a href="/thu-tuc/{esc(p.code)}"><strong>{esc(p.name)}</strong></a><br>\n'
            f'    <span class="muted">{esc(" · ".join(details))}</span>\n    {online if p.online else ""}\n  </li>\n'
        )
    level_part = f"&cap={esc(level)}" if level else ""
    field_items = [
        f'<li><a class="badge" href="?q={q}&linh-vuc={esc(f["code"])}{level_part}"{CURRENT if field == f["code"] else ""}>'
        f'{esc(f["name"])} ({_count(f["count"])})</a></li>'
        for f in facets.get("fields", [])
    ]
    return {
        # Rendered here: the template's loops over 20 results and up to 30 fields, with a dozen
        # variables each, were half of the page's rendering.
        "result_items": mark_safe("".join(items)),
        "field_items": mark_safe("".join(field_items)),
        "all_levels_href": _href(q, linh_vuc=field),
        "level_links": [
            {"href": _href(q, cap=f["code"], linh_vuc=field), "f": f, "current": level == f["code"]} for f in facets.get("levels", [])
        ],
        "all_fields_href": _href(q, cap=level),
        "prev_href": _href(q, linh_vuc=field, cap=level, muc_do=service_level, trang=str(page - 1)),
        "next_href": _href(q, linh_vuc=field, cap=level, muc_do=service_level, trang=str(page + 1)),
    }


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
        **_list_links(q, params, page, facets, results),
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
