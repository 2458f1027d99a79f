"""Decision 766 indicators computed from the rollups (never from the dossier table).

A :class:`Period` is a month, a quarter or a year; every figure sums ``MonthlyRollup`` rows of its
months. 2.1 adds the dossiers still in progress when the period ended (on time when within their
appointment, late when past it) from ``BacklogSnapshot``: the month-end snapshot for a past
period, the current one for a period not yet over.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from motcua.catalog.models import DurationUnit, OnlineService, ProcedureChannel, ServiceLevel
from motcua.stats.models import COUNTERS, BacklogSnapshot, Indicator, MonthlyRollup
from motcua.stats.rollups import WORKING_DAY_SECONDS, month_end

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
DIMENSIONS = {"agency": "agency_id", "field": "field_id", "procedure": "procedure_id", "month": "month"}


class PeriodError(ValueError):
    pass


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "year"
    year: int
    number: int = 0  # month 1-12, quarter 1-4, 0 for a year

    @classmethod
    def parse(cls, text: str | None, today: dt.date | None = None) -> "Period":
        """``2025``, ``2025-Q2`` or ``2025-03``; empty means the current month."""
        text = (text or "").strip().upper()
        if not text:
            today = today or timezone.localdate()
            return cls("month", today.year, today.month)
        if m := re.fullmatch(r"(\d{4})", text):
            period = cls("year", int(m[1]))
        elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            period = cls("quarter", int(m[1]), int(m[2]))
        elif (m := re.fullmatch(r"(\d{4})-(\d{1,2})", text)) and 1 <= int(m[2]) <= 12:
            period = cls("month", int(m[1]), int(m[2]))
        else:
            raise PeriodError("Kỳ báo cáo không hợp lệ: dùng dạng 2025 (năm), 2025-Q1 (quý) hoặc 2025-03 (tháng).")
        if not 2000 <= period.year <= 2100:
            raise PeriodError("Năm của kỳ báo cáo phải trong khoảng 2000–2100.")
        return period

    @property
    def key(self) -> str:
        return {"year": f"{self.year}", "quarter": f"{self.year}-Q{self.number}", "month": f"{self.year}-{self.number:02d}"}[self.kind]

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"Năm {self.year}"
        if self.kind == "quarter":
            return f"Quý {ROMAN[self.number]}/{self.year}"
        return f"Tháng {self.number}/{self.year}"

    @property
    def first_month(self) -> dt.date:
        if self.kind == "year":
            return dt.date(self.year, 1, 1)
        if self.kind == "quarter":
            return dt.date(self.year, 3 * self.number - 2, 1)
        return dt.date(self.year, self.number, 1)

    @property
    def last_month(self) -> dt.date:
        return add_months(self.first_month, {"year": 11, "quarter": 2, "month": 0}[self.kind])

    @property
    def starts_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first_month, dt.time()))

    @property
    def ends_at(self) -> dt.datetime:
        return month_end(self.last_month)

    def shifted(self, n: int) -> "Period":
        if self.kind == "year":
            return Period("year", self.year + n)
        if self.kind == "quarter":
            q = self.year * 4 + self.number - 1 + n
            return Period("quarter", q // 4, q % 4 + 1)
        m = add_months(self.first_month, n)
        return Period("month", m.year, m.month)


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 1) if den else None


@dataclass
class Figures:
    """Counters of one group (an agency, a field, a procedure, or everything) and its indicators."""

    counters: dict
    in_progress: int = 0
    overdue: int = 0
    current: bool = False  # backlog is "right now" (period not over)
    services_total: int = 0
    services_online: int = 0
    services_full: int = 0
    services_used: int = 0

    def __getattr__(self, name):
        counters = self.__dict__.get("counters", {})
        if name in counters:
            return counters[name]
        raise AttributeError(name)

    @property
    def online_rate(self):  # 3.3
        return _pct(self.received_online, self.received)

    @property
    def counter_rate(self):
        return _pct(self.received_counter, self.received)

    @property
    def post_rate(self):
        return _pct(self.received_post, self.received)

    @property
    def on_time_count(self) -> int:
        return self.decided_early + self.decided_on_time + (self.in_progress - self.overdue)

    @property
    def late_count(self) -> int:
        return self.decided_late + self.overdue

    @property
    def on_time_rate(self):  # 2.1
        return _pct(self.on_time_count, self.decided_total + self.in_progress)

    @property
    def early_rate(self):
        return _pct(self.decided_early, self.decided_total + self.in_progress)

    @property
    def late_rate(self):
        return _pct(self.late_count, self.decided_total + self.in_progress)

    @property
    def average_days(self):
        return round(self.processing_seconds_sum / 86400 / self.decided_total, 1) if self.decided_total else None

    @property
    def average_working_days(self):
        return round(self.processing_working_days_sum / self.decided_total, 1) if self.decided_total else None

    @property
    def paid_online_rate(self):  # 3.6
        return _pct(self.paid_online, self.fee_bearing)

    @property
    def electronic_result_rate(self):  # 4.1
        return _pct(self.electronic_result, self.decided_total)

    @property
    def digitised_rate(self):  # 4.2
        return _pct(self.digitised, self.decided_total)

    @property
    def reused_rate(self):  # 4.3
        return _pct(self.reused, self.decided_total)

    @property
    def online_offered_rate(self):  # 3.1
        return _pct(self.services_online, self.services_total)

    @property
    def full_online_rate(self):
        return _pct(self.services_full, self.services_total)

    @property
    def online_used_rate(self):  # 3.2
        return _pct(self.services_used, self.services_online)

    @property
    def satisfaction(self):  # 5.4: 100% - (late rate + dislike rate), only once ratings exist
        if not self.ratings:
            return None
        late = self.late_rate or 0.0
        return round(max(0.0, 100.0 - late - 100.0 * self.ratings_disliked / self.ratings), 1)

    @property
    def average_score(self):
        return round(self.rating_score_sum / self.ratings, 2) if self.ratings else None

    def value(self, indicator: str):
        return {
            Indicator.ONLINE_RATE: self.online_rate,
            Indicator.ON_TIME_RATE: self.on_time_rate,
            Indicator.ONLINE_OFFERED: self.online_offered_rate,
            Indicator.ONLINE_USED: self.online_used_rate,
            Indicator.PAID_ONLINE: self.paid_online_rate,
            Indicator.ELECTRONIC_RESULT: self.electronic_result_rate,
            Indicator.DIGITISED: self.digitised_rate,
            Indicator.REUSED: self.reused_rate,
            Indicator.SATISFACTION: self.satisfaction,
        }[indicator]


def empty_counters() -> dict:
    return {c: 0 for c in COUNTERS}


def _rollups(period: Period, agency_ids, field_id=None, procedure_id=None):
    qs = MonthlyRollup.objects.filter(month__gte=period.first_month, month__lte=period.last_month)
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    if field_id:
        qs = qs.filter(field_id=field_id)
    if procedure_id:
        qs = qs.filter(procedure_id=procedure_id)
    return qs


def figures(
    period: Period,
    agency_ids: list[int] | None = None,
    by: str | None = None,
    field_id: int | None = None,
    procedure_id: int | None = None,
    now: dt.datetime | None = None,
    services: bool = True,
) -> dict:
    """Figures per group (``by`` = agency, field, procedure or None for one total keyed ``None``).

    Two to four queries whatever the amount of data. ``agency_ids=None`` means every agency.
    """
    now = now or timezone.now()
    column = DIMENSIONS[by] if by else None
    qs = _rollups(period, agency_ids, field_id, procedure_id)
    sums = {c: Sum(c) for c in COUNTERS}
    rows = qs.values(column).annotate(**sums) if column else [qs.aggregate(**sums)]
    out: dict = {}
    for row in rows:
        key = row.get(column) if column else None
        out[key] = Figures({c: row[c] or 0 for c in COUNTERS})

    current = period.ends_at > now
    snap = BacklogSnapshot.objects.filter(
        kind=BacklogSnapshot.Kind.CURRENT if current else BacklogSnapshot.Kind.MONTH_END,
        **({} if current else {"as_of": period.ends_at}),
    )
    if agency_ids is not None:
        snap = snap.filter(agency_id__in=agency_ids)
    if field_id:
        snap = snap.filter(field_id=field_id)
    if procedure_id:
        snap = snap.filter(procedure_id=procedure_id)
    if by != "month":
        snap_rows = (
            snap.values(column).annotate(p=Sum("in_progress"), o=Sum("overdue"))
            if column
            else [snap.aggregate(p=Sum("in_progress"), o=Sum("overdue"))]
        )
        for row in snap_rows:
            key = row.get(column) if column else None
            fig = out.setdefault(key, Figures(empty_counters()))
            fig.in_progress, fig.overdue, fig.current = row["p"] or 0, row["o"] or 0, current

    if services and by in (None, "agency") and not procedure_id:
        _add_services(out, by, period, agency_ids, field_id)
    if not column and None not in out:
        out[None] = Figures(empty_counters())
    return out


def _add_services(out: dict, by, period: Period, agency_ids, field_id) -> None:
    """3.1 and 3.2 from the catalogue's online services (one query, plus one for services used)."""
    services = OnlineService.objects.all()
    if agency_ids is not None:
        services = services.filter(agency_id__in=agency_ids)
    if field_id:
        services = services.filter(procedure__field_id=field_id)
    pairs = list(services.values_list("agency_id", "procedure_id", "service_level"))
    if not pairs:
        return
    used = set(
        _rollups(period, agency_ids, field_id).filter(received_online__gt=0).values_list("agency_id", "procedure_id").distinct()
    )
    for agency_id, procedure_id, level in pairs:
        key = agency_id if by == "agency" else None
        fig = out.setdefault(key, Figures(empty_counters()))
        fig.services_total += 1
        if level in (ServiceLevel.PARTIAL, ServiceLevel.FULL):
            fig.services_online += 1
            fig.services_full += level == ServiceLevel.FULL
            fig.services_used += (agency_id, procedure_id) in used


def trend(period: Period, agency_ids=None, months: int = 12, now: dt.datetime | None = None) -> list[tuple[dt.date, Figures]]:
    """Monthly figures for the ``months`` months ending with the period's last month (2 queries)."""
    now = now or timezone.now()
    last = period.last_month
    first = add_months(last, -(months - 1))
    span = Period("month", first.year, first.month)
    qs = MonthlyRollup.objects.filter(month__gte=first, month__lte=last)
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    by_month = {r["month"]: Figures({c: r[c] or 0 for c in COUNTERS})
                for r in qs.values("month").annotate(**{c: Sum(c) for c in COUNTERS})}
    snap = BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.MONTH_END, as_of__gt=span.starts_at,
                                          as_of__lte=month_end(last))
    if agency_ids is not None:
        snap = snap.filter(agency_id__in=agency_ids)
    ends = {timezone.localtime(r["as_of"]).date(): r for r in snap.values("as_of").annotate(p=Sum("in_progress"), o=Sum("overdue"))}
    current = None
    if month_end(last) > now:
        current = BacklogSnapshot.objects.filter(kind=BacklogSnapshot.Kind.CURRENT)
        if agency_ids is not None:
            current = current.filter(agency_id__in=agency_ids)
        current = current.aggregate(p=Sum("in_progress"), o=Sum("overdue"))
    series = []
    for i in range(months):
        m = add_months(first, i)
        fig = by_month.get(m) or Figures(empty_counters())
        snap_row = ends.get(add_months(m, 1))
        if month_end(m) > now:
            snap_row = current
        if snap_row:
            fig.in_progress, fig.overdue = snap_row["p"] or 0, snap_row["o"] or 0
        series.append((m, fig))
    return series


UNIT_LABEL = dict(DurationUnit.choices)


def processing_by_procedure(period: Period, agency_ids=None, limit: int = 20) -> list[dict]:
    """2.2: average processing time of each procedure in the unit of its legal duration (2 queries)."""
    qs = _rollups(period, agency_ids).filter(decided_total__gt=0)
    rows = list(
        qs.values("procedure_id", "procedure__code", "procedure__name")
        .annotate(n=Sum("decided_total"), secs=Sum("processing_seconds_sum"), wdays=Sum("processing_working_days_sum"))
        .order_by("-n")[:limit]
    )
    units = {}
    for pid, unit, value in ProcedureChannel.objects.filter(
        procedure_id__in=[r["procedure_id"] for r in rows], duration_unit__gt=""
    ).order_by("procedure_id", "channel").values_list("procedure_id", "duration_unit", "duration_value"):
        units.setdefault(pid, (unit, value))
    out = []
    for r in rows:
        unit, legal = units.get(r["procedure_id"], (DurationUnit.WORKING_DAYS, None))
        n, secs, wdays = r["n"], r["secs"] or 0, r["wdays"] or 0
        value = {
            DurationUnit.WORKING_DAYS: wdays / n,
            DurationUnit.WORKING_HOURS: wdays * WORKING_DAY_SECONDS / 3600 / n,
            DurationUnit.DAYS: secs / 86400 / n,
            DurationUnit.HOURS: secs / 3600 / n,
            DurationUnit.MONTHS: secs / 86400 / 30 / n,
        }.get(unit, wdays / n)
        out.append({
            "procedure_id": r["procedure_id"], "code": r["procedure__code"], "name": r["procedure__name"],
            "decided": n, "average": round(max(value, 0), 1), "unit": UNIT_LABEL.get(unit, unit),
            "legal": legal,
        })
    return out


def group_totals(rows: dict) -> Figures:
    """Sum Figures of several groups (e.g. agencies of a subtree) into one."""
    total = Figures(empty_counters())
    for fig in rows.values():
        for c in COUNTERS:
            total.counters[c] += fig.counters[c]
        for name in ("in_progress", "overdue", "services_total", "services_online", "services_full", "services_used"):
            setattr(total, name, getattr(total, name) + getattr(fig, name))
        total.current = total.current or fig.current
    return total


def merge(rows: dict, into: dict[int, list[int]]) -> dict:
    """Group figures keyed by agency into figures keyed by the ancestors given in ``into``."""
    out = defaultdict(dict)
    for parent, members in into.items():
        out[parent] = group_totals({m: rows[m] for m in members if m in rows})
    return dict(out)
