"""Statistics pages: the staff dashboard, the drill-down list, exports, and the public page."""

from __future__ import annotations

import hashlib

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from motcua.catalog.models import Channel
from motcua.stats import reports
from motcua.stats.indicators import Period, PeriodError
from motcua.stats.models import Indicator
from motcua.stats.services import METRIC_LABELS, AgencyTree, can_view_stats, drill_down, visible_agency_ids


class BadRequest(Exception):
    pass


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise BadRequest("Tham số không hợp lệ.") from None


def _scope(request, tree):
    """(agency ids to count or None for all, the chosen agency) within what the user may see."""
    visible = visible_agency_ids(request.user, tree)
    chosen = _int(request.GET.get("co_quan"))
    if chosen is None:
        return visible, None
    if chosen not in tree.nodes or (visible is not None and chosen not in visible):
        raise PermissionDenied("Bạn không có quyền xem số liệu của cơ quan này.")
    return tree.subtree([chosen]), chosen


def _period(request):
    try:
        return Period.parse(request.GET.get("ky"))
    except PeriodError as exc:
        raise BadRequest(str(exc)) from None


def _bad(request, message):
    return render(request, "errors/error.html", {"status": 400, "title": "Yêu cầu không hợp lệ", "message": message},
                  status=400)


def stats_required(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_view_stats(request.user):
            raise PermissionDenied("Trang thống kê dành cho cán bộ theo dõi, thống kê và quản trị hệ thống.")
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return _bad(request, str(exc))

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


def _report(request, **kwargs):
    tree = AgencyTree()
    scope, chosen = _scope(request, tree)
    rank_by = request.GET.get("chi_so") or Indicator.ONLINE_RATE
    if rank_by not in reports.RANKABLE:
        raise BadRequest("Chỉ số xếp hạng không hợp lệ.")
    visible = visible_agency_ids(request.user, tree)
    return reports.build(_period(request), scope, chosen, tree, rank_by=rank_by, **kwargs), visible


@stats_required
def dashboard(request):
    report, visible = _report(request)
    ranking = report.ranking()
    agencies = sorted(
        ((a, report.tree.nodes[a]["name"]) for a in (visible if visible is not None else report.tree.nodes)),
        key=lambda x: x[1],
    )
    scope_key = "all" if visible is None else ",".join(map(str, visible))
    cache_key = hashlib.sha1(f"{request.GET.urlencode()}|{scope_key}".encode()).hexdigest()
    return render(request, "stats/dashboard.html", {
        "cache_key": cache_key, "cache_seconds": reports.CACHE_SECONDS,
        "report": report, "cards": report.cards(), "ranking": ranking,
        "ranking_chart": report.ranking_chart(ranking), "trend_chart": report.trend_chart(),
        "channel_chart": report.channel_chart(), "agencies": agencies,
        "rankable": [(i, Indicator(i).label) for i in reports.RANKABLE],
        "query": request.GET.urlencode(),
    })


@stats_required
def drill(request):
    """The dossiers behind a number (same filters as the dashboard)."""
    tree = AgencyTree()
    scope, chosen = _scope(request, tree)
    period = _period(request)
    metric = request.GET.get("chi_tieu", "received")
    if metric not in METRIC_LABELS:
        return _bad(request, "Chỉ tiêu cần xem chi tiết không hợp lệ.")
    channel = _int(request.GET.get("kenh"))
    if channel is not None and channel not in Channel.values:
        return _bad(request, "Kênh nộp không hợp lệ.")
    qs = drill_down(metric, scope, period.starts_at, period.ends_at, field_id=_int(request.GET.get("linh_vuc")),
                    procedure_id=_int(request.GET.get("thu_tuc")), channel=channel)
    page = Paginator(qs, 50).get_page(request.GET.get("trang"))
    params = request.GET.copy()
    params.pop("trang", None)
    return render(request, "stats/drill.html", {
        "page": page, "metric_label": METRIC_LABELS[metric], "period": period,
        "agency_name": tree.name(chosen) if chosen else "Toàn tỉnh" if scope is None else "Các cơ quan được phân quyền",
        "query": params.urlencode(), "back": request.GET.urlencode(),
    })


@stats_required
def export(request, fmt):
    report, _ = _report(request, with_trend=False, with_processing=fmt == "xlsx")
    name = f"bao-cao-tthc-{report.period.key}"
    if fmt == "csv":
        response = HttpResponse(reports.to_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            reports.to_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@cache_control(public=True, max_age=300)
def public(request):
    """Province figures as published: aggregates only, no dossier or person."""
    try:
        period = Period.parse(request.GET.get("ky"))
    except PeriodError as exc:
        return _bad(request, str(exc))
    tree = AgencyTree()
    report = reports.build(period, None, None, tree, with_processing=False)
    header, rows = reports.table_rows(report, public=True)
    return render(request, "stats/public.html", {
        "report": report, "cards": [c for c in report.cards(drill=False) if c["code"] or c["label"] == "Hồ sơ tiếp nhận"],
        "trend_chart": report.trend_chart(), "ranking_chart": report.ranking_chart(report.ranking(), drill=False),
        "header": header, "rows": rows,
    })
