"""Working-time arithmetic: legal durations in working days/hours over an agency's calendar.

A calendar is a weekly pattern (working periods, by default 07:30–11:30 and 13:00–17:00, Monday
to Friday) plus day overrides (``CalendarDay``): national holidays and swapped days seeded from
the ``holidays`` package, and an administrator's corrections. For speed, each calendar keeps in
process a sorted list of working days per year; the cache is dropped whenever a calendar or a day
changes in this process, and at the latest after ``CACHE_SECONDS`` (other processes' edits).

All datetimes are handled in Asia/Ho_Chi_Minh (no daylight saving, so wall-clock arithmetic is
exact). A "working moment" is an instant inside a working period, both ends included, so a
deadline may fall at 17:00 (end of the day) but a task never *starts* at 17:00.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from motcua.catalog.models import Channel, DurationUnit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CACHE_SECONDS = 300
MAX_YEARS_AHEAD = 20  # guard against a calendar without any working day

_lock = threading.RLock()
_calendars: dict[object, "Calendar"] = {}
_agency_calendar: dict[int | None, object] = {}
_loaded_at = 0.0


def _seconds(value: str) -> int:
    hours, minutes = str(value).split(":")
    return int(hours) * 3600 + int(minutes) * 60


def localize(value: dt.datetime) -> dt.datetime:
    """Aware datetime in Asia/Ho_Chi_Minh (naive values are taken as local time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


@dataclass
class Calendar:
    """One calendar's rules with per-year caches; build with :func:`calendar_for`."""

    key: object
    periods: tuple[tuple[int, int], ...]
    weekdays: frozenset[int]
    calendar_id: int | None = None
    _years: dict[int, list[int]] = field(default_factory=dict)
    _year_sets: dict[int, set[int]] = field(default_factory=dict)

    @property
    def day_seconds(self) -> int:
        return sum(end - start for start, end in self.periods)

    # --- days -------------------------------------------------------------------------------

    def working_days(self, year: int) -> list[int]:
        """Sorted ordinals of the working days of ``year``."""
        days = self._years.get(year)
        if days is None:
            overrides = load_overrides(year, self.calendar_id)
            first = dt.date(year, 1, 1).toordinal()
            last = dt.date(year, 12, 31).toordinal()
            days = []
            for ordinal in range(first, last + 1):
                day = dt.date.fromordinal(ordinal)
                working = overrides.get(day)
                if working is None:
                    working = day.weekday() in self.weekdays
                if working:
                    days.append(ordinal)
            with _lock:
                self._years[year] = days
                self._year_sets[year] = set(days)
        return days

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in self._year_sets:
            self.working_days(day.year)
        return day.toordinal() in self._year_sets[day.year]

    def nth_working_day_after(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day strictly after ``day`` (``n`` ≥ 1)."""
        year = day.year
        ordinal = day.toordinal()
        while year <= day.year + MAX_YEARS_AHEAD:
            days = self.working_days(year)
            index = bisect.bisect_right(days, ordinal) + n - 1
            if index < len(days):
                return dt.date.fromordinal(days[index])
            n = index - len(days) + 1
            ordinal = 0
            year += 1
        raise ValueError("Lịch làm việc không có ngày làm việc nào.")

    def count_working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days strictly between ``first`` and ``last``."""
        if last.toordinal() - first.toordinal() <= 1:
            return 0
        total = 0
        for year in range(first.year, last.year + 1):
            days = self.working_days(year)
            lo = bisect.bisect_right(days, first.toordinal())
            hi = bisect.bisect_left(days, last.toordinal())
            total += max(0, hi - lo)
        return total

    # --- moments ----------------------------------------------------------------------------

    @staticmethod
    def _at(day: dt.date, second: int) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, tzinfo=TZ) + dt.timedelta(seconds=second)

    @staticmethod
    def _split(value: dt.datetime) -> tuple[dt.date, int]:
        local = localize(value)
        return local.date(), local.hour * 3600 + local.minute * 60 + local.second

    def is_working_moment(self, value: dt.datetime) -> bool:
        day, second = self._split(value)
        return self.is_working_day(day) and any(s <= second <= e for s, e in self.periods)

    def next_working_moment(self, value: dt.datetime) -> dt.datetime:
        """``value`` itself if work can happen then, else the start of the next working period."""
        local = localize(value).replace(microsecond=0)
        day, second = self._split(local)
        if self.is_working_day(day):
            for start, end in self.periods:
                if second < end:
                    return local if second >= start else self._at(day, start)
        return self._at(self.nth_working_day_after(day, 1), self.periods[0][0])

    def _used_until(self, day: dt.date, second: int) -> int:
        """Working seconds of ``day`` before ``second`` (0 on a day off)."""
        if not self.is_working_day(day):
            return 0
        return sum(max(0, min(second, end) - start) for start, end in self.periods)

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        moment = self.next_working_moment(start)
        if seconds <= 0:
            return moment
        day, second = self._split(moment)
        remaining = int(seconds)
        for period_start, period_end in self.periods:
            if second >= period_end:
                continue
            available = period_end - max(second, period_start)
            if remaining <= available:
                return self._at(day, max(second, period_start) + remaining)
            remaining -= available
        full_days, rest = divmod(remaining, self.day_seconds)
        if rest == 0:
            return self._at(self.nth_working_day_after(day, full_days), self.periods[-1][1])
        target = self.nth_working_day_after(day, full_days + 1)
        for period_start, period_end in self.periods:
            if rest <= period_end - period_start:
                return self._at(target, period_start + rest)
            rest -= period_end - period_start
        raise AssertionError("unreachable")  # pragma: no cover

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        if end <= start:
            return 0
        day_a, sec_a = self._split(start)
        day_b, sec_b = self._split(end)
        if day_a == day_b:
            return self._used_until(day_b, sec_b) - self._used_until(day_a, sec_a)
        first = (self.day_seconds - self._used_until(day_a, sec_a)) if self.is_working_day(day_a) else 0
        middle = self.count_working_days_between(day_a, day_b) * self.day_seconds
        return first + middle + self._used_until(day_b, sec_b)

    def start_of_next_working_day(self, value: dt.datetime) -> dt.datetime:
        day, _ = self._split(value)
        return self._at(self.nth_working_day_after(day, 1), self.periods[0][0])


# --- loading, seeding and caching ----------------------------------------------------------------


def seed_year(year: int) -> int:
    """Load the national days off and swapped working days of ``year`` from ``holidays`` (VN).

    Rows an administrator already has for a date are kept. Returns the number of rows created.
    """
    import holidays

    from motcua.workflow.models import CalendarDay, SeededYear

    vn = holidays.country_holidays("VN", years=year, language="vi")
    rows = {}
    for day, name in sorted(vn.items()):
        kind = CalendarDay.Kind.SWAPPED_DAY_OFF if "thay cho" in name.lower() else CalendarDay.Kind.HOLIDAY
        rows[day] = CalendarDay(date=day, is_working=False, kind=kind, reason=name[:255], source=CalendarDay.Source.LIBRARY)
    for day in sorted(getattr(vn, "weekend_workdays", ()) or ()):
        if day.year == year:
            rows[day] = CalendarDay(
                date=day,
                is_working=True,
                kind=CalendarDay.Kind.SWAPPED_WORKDAY,
                reason="Ngày làm bù",
                source=CalendarDay.Source.LIBRARY,
            )
    existing = set(CalendarDay.objects.filter(calendar__isnull=True, date__year=year).values_list("date", flat=True))
    new = [row for day, row in rows.items() if day not in existing]
    try:
        with transaction.atomic():
            SeededYear.objects.get_or_create(year=year)
            CalendarDay.objects.bulk_create(new, ignore_conflicts=True)
    except IntegrityError:  # another process seeded the same year at the same moment
        return 0
    return len(new)


def load_overrides(year: int, calendar_id: int | None) -> dict[dt.date, bool]:
    """National overrides of ``year`` (seeded on first use) merged with the calendar's own."""
    from motcua.workflow.models import CalendarDay, SeededYear

    if not SeededYear.objects.filter(year=year).exists():
        seed_year(year)
    rows = CalendarDay.objects.filter(date__year=year)
    if calendar_id is None:
        rows = rows.filter(calendar__isnull=True)
    else:
        from django.db.models import Q

        rows = rows.filter(Q(calendar__isnull=True) | Q(calendar_id=calendar_id))
    national: dict[dt.date, bool] = {}
    own: dict[dt.date, bool] = {}
    for day, working, cal in rows.values_list("date", "is_working", "calendar_id"):
        (own if cal is not None else national)[day] = working
    return {**national, **own}


def _build(calendar_row) -> Calendar:
    if calendar_row is None:
        from motcua.workflow.models import DEFAULT_PERIODS, DEFAULT_WEEKDAYS

        periods, weekdays, cal_id = DEFAULT_PERIODS, DEFAULT_WEEKDAYS, None
    else:
        periods, weekdays, cal_id = calendar_row.periods, calendar_row.weekdays, calendar_row.pk
    return Calendar(
        key=cal_id,
        periods=tuple((_seconds(a), _seconds(b)) for a, b in periods),
        weekdays=frozenset(int(d) for d in weekdays),
        calendar_id=cal_id,
    )


def _expire_if_stale() -> None:
    global _loaded_at
    now = time.monotonic()
    if now - _loaded_at > CACHE_SECONDS:
        invalidate()
        _loaded_at = now


def calendar_for(agency=None) -> Calendar:
    """The calendar of ``agency`` (or of its nearest parent with one), else the default calendar."""
    from motcua.workflow.models import WorkingCalendar

    _expire_if_stale()
    agency_id = getattr(agency, "pk", agency)
    key = _agency_calendar.get(agency_id, _MISSING)
    if key is _MISSING:
        row = None
        if agency_id is not None:
            from motcua.organisations.models import Agency

            node = agency if isinstance(agency, Agency) else Agency.objects.filter(pk=agency_id).first()
            seen = set()
            while node is not None and node.pk not in seen:
                seen.add(node.pk)
                row = WorkingCalendar.objects.filter(agency_id=node.pk).first()
                if row is not None:
                    break
                node = node.parent
        if row is None:
            row = WorkingCalendar.objects.filter(agency__isnull=True).order_by("id").first()
        key = row.pk if row is not None else None
        with _lock:
            if key not in _calendars:
                _calendars[key] = _build(row)
            _agency_calendar[agency_id] = key
    calendar = _calendars.get(key)
    if calendar is None:
        invalidate()
        return calendar_for(agency)
    return calendar


_MISSING = object()


def invalidate(*args, **kwargs) -> None:
    """Forget every cached calendar (called when a calendar or a day changes)."""
    with _lock:
        _calendars.clear()
        _agency_calendar.clear()


@receiver(post_save, sender="workflow.CalendarDay")
@receiver(post_delete, sender="workflow.CalendarDay")
@receiver(post_save, sender="workflow.WorkingCalendar")
@receiver(post_delete, sender="workflow.WorkingCalendar")
def _calendar_changed(sender, **kwargs):
    invalidate()


# --- public API ------------------------------------------------------------------------------


def duration_seconds(amount, unit: str, agency=None) -> int | None:
    """Working seconds of a duration in working days/hours; ``None`` for calendar units."""
    amount = Decimal(str(amount))
    if unit == DurationUnit.WORKING_DAYS:
        return int(amount * calendar_for(agency).day_seconds)
    if unit == DurationUnit.WORKING_HOURS:
        return int(amount * 3600)
    return None


def add_working_time(start: dt.datetime, amount, unit: str, agency=None) -> dt.datetime:
    """``start`` plus a legal duration; the result is always a working moment.

    Working days count the day's working hours (8 h by default), so a dossier received on Monday
    09:00 with 1 working day is due Tuesday 09:00. Calendar units (days, hours, months) are added
    on the clock and the result moved to the next working moment.
    """
    calendar = calendar_for(agency)
    amount = Decimal(str(amount))
    if amount < 0:
        raise ValueError("Thời hạn không được âm.")
    start = localize(start)
    if unit in (DurationUnit.WORKING_DAYS, DurationUnit.WORKING_HOURS):
        return calendar.add_working_seconds(start, duration_seconds(amount, unit, agency))
    if unit == DurationUnit.DAYS:
        end = start + dt.timedelta(days=float(amount))
    elif unit == DurationUnit.HOURS:
        end = start + dt.timedelta(hours=float(amount))
    elif unit == DurationUnit.MONTHS:
        from dateutil.relativedelta import relativedelta

        # Fractions of a month are interpolated between the two whole-month dates, which keeps
        # the result monotonic in both the amount and the start (month lengths differ).
        whole = int(amount)
        low = start + relativedelta(months=whole)
        high = start + relativedelta(months=whole + 1)
        end = low + (high - low) * float(amount - whole)
    else:
        raise ValueError(f"Đơn vị thời hạn không hợp lệ: {unit}")
    return calendar.next_working_moment(end)


def add_working_seconds(start: dt.datetime, seconds: int, agency=None) -> dt.datetime:
    return calendar_for(agency).add_working_seconds(localize(start), int(seconds))


def working_seconds_between(start: dt.datetime, end: dt.datetime, agency=None) -> int:
    """Working seconds in [start, end] (0 when end is not after start)."""
    return calendar_for(agency).working_seconds_between(localize(start), localize(end))


def next_working_moment(value: dt.datetime, agency=None) -> dt.datetime:
    return calendar_for(agency).next_working_moment(value)


def is_working_moment(value: dt.datetime, agency=None) -> bool:
    return calendar_for(agency).is_working_moment(value)


def is_working_day(day: dt.date, agency=None) -> bool:
    return calendar_for(agency).is_working_day(day)


def after_hours_cutoff() -> dt.time | None:
    value = (getattr(settings, "DOSSIER_AFTER_HOURS_CUTOFF", "") or "").strip()
    if not value:
        return None
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def reception_start(received_at: dt.datetime, channel, agency=None) -> dt.datetime:
    """When the legal clock starts for a dossier received at ``received_at``.

    A counter dossier received on a working day at or after the cut-off (``DOSSIER_AFTER_HOURS_CUTOFF``,
    15:00 by default) counts from the start of the next working day; any dossier received outside
    working time starts at the next working moment.
    """
    calendar = calendar_for(agency)
    local = localize(received_at)
    cutoff = after_hours_cutoff()
    if cutoff is not None and int(channel) == Channel.COUNTER and calendar.is_working_day(local.date()):
        if local.time() >= cutoff:
            return calendar.start_of_next_working_day(local)
    return calendar.next_working_moment(local)
