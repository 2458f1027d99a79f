"""What the pages, exports and API show: the figures of a scope and period, laid out once.

Reads only rollups and snapshots: about a dozen queries whatever the number of dossiers.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from motcua.catalog.models import Field
from motcua.stats import charts
from motcua.stats.indicators import Figures, Period, figures, group_totals, processing_by_procedure, trend
from motcua.stats.models import BacklogSnapshot, Indicator
from motcua.stats.services import AgencyTree, Targets

RANKABLE = [Indicator.ONLINE_RATE, Indicator.ON_TIME_RATE, Indicator.DIGITISED, Indicator.ELECTRONIC_RESULT,
            Indicator.REUSED, Indicator.PAID_ONLINE, Indicator.ONLINE_OFFERED, Indicator.SATISFACTION]

# Columns of the per-agency table and of the exports: (key, header, getter).
COLUMNS = [
    ("received", "Tiếp nhận", lambda f: f.received),
    ("received_online", "Trực tuyến", lambda f: f.received_online),
    ("received_counter", "Trực tiếp", lambda f: f.received_counter),
    ("received_post", "Bưu chính", lambda f: f.received_post),
    ("online_rate", "3.3 Tỷ lệ trực tuyến (%)", lambda f: f.online_rate),
    ("decided_total", "Đã giải quyết", lambda f: f.decided_total),
    ("decided_early", "Trước hạn", lambda f: f.decided_early),
    ("decided_on_time", "Đúng hạn", lambda f: f.decided_on_time),
    ("decided_late", "Quá hạn", lambda f: f.decided_late),
    ("in_progress", "Đang giải quyết cuối kỳ", lambda f: f.in_progress),
    ("overdue", "Trong đó quá hạn", lambda f: f.overdue),
    ("on_time_rate", "2.1 Đúng và trước hạn (%)", lambda f: f.on_time_rate),
    ("average_working_days", "2.2 Thời gian TB (ngày làm việc)", lambda f: f.average_working_days),
    ("online_offered_rate", "3.1 TTHC trực tuyến (%)", lambda f: f.online_offered_rate),
    ("full_online_rate", "3.1 Toàn trình (%)", lambda f: f.full_online_rate),
    ("online_used_rate", "3.2 DVCTT có hồ sơ (%)", lambda f: f.online_used_rate),
    ("paid_online_rate", "3.6 Thanh toán trực tuyến (%)", lambda f: f.paid_online_rate),
    ("electronic_result_rate", "4.1 Kết quả điện tử (%)", lambda f: f.electronic_result_rate),
    ("digitised_rate", "4.2 Số hóa (%)", lambda f: f.digitised_rate),
    ("reused_rate", "4.3 Tái sử dụng (%)", lambda f: f.reused_rate),
    ("satisfaction", "5.4 Hài lòng (%)", lambda f: f.satisfaction),
    ("refused", "Từ chối", lambda f: f.refused),
    ("withdrawn", "Rút", lambda f: f.withdrawn),
]
PUBLIC_COLUMNS = {"received", "received_online", "online_rate", "decided_total", "on_time_rate", "decided_late",
                  "digitised_rate", "satisfaction"}


@dataclass
class Report:
    period: Period
    scope: list[int] | None
    root_id: int | None
    tree: AgencyTree
    total: Figures
    by_agency: dict
    targets: Targets
    rank_by: str
    now_backlog: dict = field(default_factory=dict)
    trend: list = field(default_factory=list)
    processing: list = field(default_factory=list)
    fields: list = field(default_factory=list)

    def link(self, metric: str, **extra) -> str:
        params = {"chi_tieu": metric, "ky": self.period.key}
        if self.root_id:
            params["co_quan"] = self.root_id
        params.update({k: v for k, v in extra.items() if v})
        return "/thong-ke/ho-so/?" + urlencode(params)

    def cards(self, drill: bool = True) -> list[dict]:
        f, root = self.total, self.root_id

        def card(code, label, value, unit="%", metric=None, count=None, note=""):
            light = self.targets.light(root, code, value) if code else "none"
            target = self.targets.target(root, code) if code else None
            return {"code": code, "label": label, "value": value, "unit": unit, "light": light,
                    "target": target[0] if target else None, "count": count, "note": note,
                    "href": self.link(metric) if drill and metric else None}

        return [
            card(None, "Hồ sơ tiếp nhận", f.received, "", "received"),
            card(Indicator.ONLINE_RATE, "Tỷ lệ hồ sơ trực tuyến", f.online_rate, metric="received_online",
                 count=f.received_online),
            card(Indicator.ON_TIME_RATE, "Giải quyết đúng và trước hạn", f.on_time_rate, metric="decided",
                 note=f"{f.decided_total} đã giải quyết, {f.in_progress} đang giải quyết cuối kỳ"),
            card(None, "Đang giải quyết (hiện tại)", self.now_backlog.get("in_progress", 0), "", "backlog"),
            card(None, "Quá hạn (hiện tại)", self.now_backlog.get("overdue", 0), "", "overdue"),
            card(Indicator.ONLINE_OFFERED, "TTHC cung cấp trực tuyến", f.online_offered_rate,
                 note=f"{f.services_online}/{f.services_total} thủ tục, {f.services_full} toàn trình"),
            card(Indicator.ONLINE_USED, "DVCTT phát sinh hồ sơ", f.online_used_rate,
                 note=f"{f.services_used}/{f.services_online} dịch vụ"),
            card(Indicator.PAID_ONLINE, "Thanh toán trực tuyến", f.paid_online_rate, metric="paid_online",
                 count=f.paid_online),
            card(Indicator.ELECTRONIC_RESULT, "Kết quả điện tử", f.electronic_result_rate, metric="electronic_result",
                 count=f.electronic_result),
            card(Indicator.DIGITISED, "Hồ sơ được số hóa", f.digitised_rate, metric="digitised", count=f.digitised),
            card(Indicator.REUSED, "Tái sử dụng dữ liệu", f.reused_rate, metric="reused", count=f.reused),
            card(Indicator.SATISFACTION, "Mức độ hài lòng", f.satisfaction,
                 note=f"{f.ratings} lượt đánh giá" if f.ratings else "Chưa có đánh giá"),
        ]

    def ranking(self) -> list[dict]:
        rows = []
        for agency_id, fig in self.by_agency.items():
            if agency_id is None or not (fig.received or fig.decided_total or fig.services_total):
                continue
            value = fig.value(self.rank_by)
            rows.append({"agency_id": agency_id, "name": self.tree.name(agency_id), "value": value, "fig": fig,
                         "light": self.targets.light(agency_id, self.rank_by, value)})
        rows.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0), r["name"]))
        for i, r in enumerate(rows, 1):
            r["rank"] = i
        return rows

    def ranking_chart(self, rows: list[dict], limit: int = 15, drill: bool = True) -> str:
        label = Indicator(self.rank_by).label
        target = self.targets.target(self.root_id, self.rank_by)
        items = [{"label": r["name"], "value": r["value"], "light": r["light"],
                  "href": (self.link("received", co_quan=r["agency_id"]) if drill else None)} for r in rows[:limit]]
        return charts.bar_chart(
            f"{label} theo cơ quan, {self.period.label}",
            f"Biểu đồ cột ngang: {label.lower()} của {len(items)} cơ quan đứng đầu; xanh đạt chỉ tiêu, vàng gần đạt, đỏ chưa đạt.",
            items, maximum=100, target=float(target[0]) if target else None,
        )

    def trend_chart(self) -> str:
        labels = [f"{m.month:02d}/{m.year % 100:02d}" for m, _ in self.trend]
        return charts.line_chart(
            f"Xu hướng 12 tháng đến {self.period.label}",
            "Biểu đồ đường: tỷ lệ hồ sơ trực tuyến và tỷ lệ giải quyết đúng, trước hạn theo tháng.",
            labels,
            [("Tỷ lệ trực tuyến", [f.online_rate for _, f in self.trend]),
             ("Đúng và trước hạn", [f.on_time_rate for _, f in self.trend])],
        )

    def channel_chart(self) -> str:
        f = self.total
        items = [{"label": "Trực tuyến", "value": f.online_rate}, {"label": "Trực tiếp", "value": f.counter_rate},
                 {"label": "Bưu chính", "value": f.post_rate}]
        return charts.bar_chart(f"Hồ sơ theo kênh, {self.period.label}",
                                "Tỷ lệ hồ sơ tiếp nhận theo kênh nộp.", items, maximum=100)


# Figures are kept this many seconds per (period, scope, ranking): many managers open the same
# dashboard; counters move every few seconds anyway. Off in tests, which check exact numbers.
CACHE_SECONDS = 0 if settings.MOTCUA_ENV == "test" else 30


def build(period: Period, scope: list[int] | None, root_id: int | None, tree: AgencyTree,
          rank_by: str = Indicator.ONLINE_RATE, with_trend: bool = True, with_processing: bool = True,
          use_cache: bool = True) -> Report:
    key = None
    if CACHE_SECONDS and use_cache:
        scope_key = hashlib.sha1(",".join(map(str, scope)).encode()).hexdigest() if scope is not None else "all"
        key = f"stats:report:{period.key}:{root_id}:{scope_key}:{rank_by}:{int(with_trend)}{int(with_processing)}"
        cached = cache.get(key)
        if cached is not None:
            cached.tree = tree
            return cached
    report = _build(period, scope, root_id, tree, rank_by, with_trend, with_processing)
    if key:
        cache.set(key, report, CACHE_SECONDS)
    return report


def _build(period, scope, root_id, tree, rank_by, with_trend, with_processing) -> Report:
    by_agency = figures(period, scope, by="agency")
    targets = Targets(tree)
    total = group_totals(by_agency)
    snap = BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.CURRENT)
    if scope is not None:
        snap = snap.filter(agency_id__in=scope)
    now_backlog = snap.aggregate(in_progress=Sum("in_progress"), overdue=Sum("overdue"))
    now_backlog = {k: v or 0 for k, v in now_backlog.items()}
    report = Report(period, scope, root_id, tree, total, by_agency, targets, rank_by, now_backlog)
    if with_trend:
        report.trend = trend(period, scope)
    if with_processing:
        report.processing = processing_by_procedure(period, scope)
        report.fields = by_field(period, scope)
    return report


def by_field(period: Period, scope) -> list[dict]:
    """Figures per field (lĩnh vực), largest first (3 queries)."""
    rows = figures(period, scope, by="field", services=False)
    names = dict(Field.objects.filter(id__in=[k for k in rows if k]).values_list("id", "name"))
    out = [{"field_id": k, "name": names.get(k, "Chưa phân lĩnh vực"), "fig": f} for k, f in rows.items()
           if f.received or f.decided_total or f.in_progress]
    out.sort(key=lambda r: -r["fig"].received)
    return out


def table_rows(report: Report, public: bool = False) -> tuple[list[str], list[list]]:
    cols = [c for c in COLUMNS if not public or c[0] in PUBLIC_COLUMNS]
    header = ["Mã cơ quan", "Cơ quan", *[c[1] for c in cols]]
    rows = []
    for r in report.ranking():
        node = report.tree.nodes.get(r["agency_id"], {})
        rows.append([node.get("code", ""), node.get("name", ""), *[c[2](r["fig"]) for c in cols]])
    rows.append(["", "Tổng cộng", *[c[2](report.total) for c in cols]])
    return header, rows


def to_csv(report: Report) -> str:
    header, rows = table_rows(report)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV with Vietnamese correctly only with a BOM
    writer = csv.writer(out)
    writer.writerow([f"Báo cáo kết quả giải quyết TTHC – {report.period.label}"])
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    header, rows = table_rows(report)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Báo cáo")
    title = WriteOnlyCell(ws, value=f"Báo cáo kết quả giải quyết thủ tục hành chính – {report.period.label}")
    title.font = Font(bold=True, size=13)
    ws.append([title])
    ws.append([f"Lập lúc {timezone.localtime():%d/%m/%Y %H:%M}; số liệu từ bảng tổng hợp theo Quyết định 766/QĐ-TTg."])
    bold = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        bold.append(cell)
    ws.append(bold)
    for row in rows:
        ws.append(row)
    if report.processing:
        ws2 = wb.create_sheet("Thời gian giải quyết")
        ws2.append(["Mã thủ tục", "Tên thủ tục", "Số hồ sơ đã giải quyết", "Thời gian trung bình", "Đơn vị", "Thời hạn luật định"])
        for p in report.processing:
            ws2.append([p["code"], p["name"], p["decided"], p["average"], p["unit"],
                        float(p["legal"]) if p["legal"] is not None else None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
