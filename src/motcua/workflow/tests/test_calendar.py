"""Working-time arithmetic on fixed cases (Tết 2026/2027, swapped days, the 15:00 rule)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from motcua.catalog.models import Channel, DurationUnit as U
from motcua.organisations.models import Agency
from motcua.workflow import calendar as cal
from motcua.workflow.models import CalendarDay, SeededYear, WorkingCalendar
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


def test_lazy_seed_tet_2026_matches_official_days_off():
    # Official: civil servants off from Sat 14/2/2026 to Sun 22/2/2026 (weekdays 16-20 Feb).
    for day in range(14, 23):
        assert not cal.is_working_day(dt.date(2026, 2, day)), day
    assert cal.is_working_day(dt.date(2026, 2, 13))
    assert cal.is_working_day(dt.date(2026, 2, 23))
    assert SeededYear.objects.filter(year=2026).exists()
    tet = CalendarDay.objects.get(calendar=None, date=dt.date(2026, 2, 17))
    assert tet.reason == "Tết Nguyên Đán" and not tet.is_working


def test_tet_2026_working_days():
    # Friday before Tết + 1 working day = Monday after the break, same time.
    assert cal.add_working_time(local(2026, 2, 13, 9), 1, U.WORKING_DAYS) == local(2026, 2, 23, 9)
    assert cal.add_working_time(local(2026, 2, 12, 10), 3, U.WORKING_DAYS) == local(2026, 2, 24, 10)
    # Nothing counts during the break.
    assert cal.working_seconds_between(local(2026, 2, 13, 17), local(2026, 2, 23, 7, 30)) == 0
    assert cal.working_seconds_between(local(2026, 2, 13, 16), local(2026, 2, 23, 8, 30)) == 2 * 3600
    # Calendar days landing inside Tết move to the first working moment after it.
    assert cal.add_working_time(local(2026, 2, 13, 9), 5, U.DAYS) == local(2026, 2, 23, 7, 30)


def test_tet_2027_working_days():
    # Tết 2027: Thu 4/2 to Wed 10/2 off (29 Tết to mùng 5).
    assert not cal.is_working_day(dt.date(2027, 2, 4))
    assert not cal.is_working_day(dt.date(2027, 2, 10))
    assert cal.add_working_time(local(2027, 2, 3, 14), 2, U.WORKING_DAYS) == local(2027, 2, 12, 14)
    assert cal.add_working_time(local(2027, 2, 3, 14), 16, U.WORKING_HOURS) == local(2027, 2, 12, 14)


def test_swapped_saturday_2025_is_a_working_day():
    # 26/4/2025 (Saturday) was worked to make 2/5/2025 a day off.
    assert cal.is_working_day(dt.date(2025, 4, 26))
    assert not cal.is_working_day(dt.date(2025, 5, 2))
    assert cal.add_working_time(local(2025, 4, 25, 10), 1, U.WORKING_DAYS) == local(2025, 4, 26, 10)
    assert cal.add_working_time(local(2025, 4, 29, 10), 1, U.WORKING_DAYS) == local(2025, 5, 5, 10)
    assert CalendarDay.objects.get(calendar=None, date=dt.date(2025, 4, 26)).kind == CalendarDay.Kind.SWAPPED_WORKDAY


def test_periods_lunch_and_end_of_day():
    monday = (2026, 3, 2)
    assert cal.add_working_time(local(*monday, 11), 1, U.WORKING_HOURS) == local(*monday, 13, 30)
    assert cal.add_working_time(local(*monday, 7, 30), 1, U.WORKING_DAYS) == local(*monday, 17)
    assert cal.add_working_time(local(*monday, 7, 30), 2, U.WORKING_DAYS) == local(2026, 3, 3, 17)
    assert cal.add_working_time(local(*monday, 7, 30), Decimal("0.5"), U.WORKING_DAYS) == local(*monday, 11, 30)
    assert cal.add_working_time(local(*monday, 12), 0, U.WORKING_DAYS) == local(*monday, 13)
    assert cal.add_working_time(local(*monday, 17), 0, U.WORKING_HOURS) == local(2026, 3, 3, 7, 30)
    assert cal.working_seconds_between(local(*monday, 11), local(*monday, 13, 30)) == 3600
    assert cal.working_seconds_between(local(*monday, 7), local(2026, 3, 3, 18)) == 16 * 3600
    assert cal.next_working_moment(local(2026, 3, 7, 9)) == local(2026, 3, 9, 7, 30)  # Saturday
    # Naive and UTC inputs are read in Asia/Ho_Chi_Minh.
    assert cal.next_working_moment(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)) == local(*monday, 9)


def test_months_and_hours():
    assert cal.add_working_time(local(2026, 1, 31, 9), 1, U.MONTHS) == local(2026, 3, 2, 7, 30)
    assert cal.add_working_time(local(2026, 3, 2, 9), 24, U.HOURS) == local(2026, 3, 3, 9)
    with pytest.raises(ValueError):
        cal.add_working_time(local(2026, 3, 2, 9), 1, "weeks")


def test_after_hours_rule_for_counter_dossiers(settings):
    monday = (2026, 3, 2)
    assert cal.reception_start(local(*monday, 15, 10), Channel.COUNTER) == local(2026, 3, 3, 7, 30)
    assert cal.reception_start(local(*monday, 15, 0), Channel.COUNTER) == local(2026, 3, 3, 7, 30)
    assert cal.reception_start(local(*monday, 14, 59), Channel.COUNTER) == local(*monday, 14, 59)
    # Online dossiers are not concerned, but one sent on a Saturday starts on Monday morning.
    assert cal.reception_start(local(*monday, 15, 10), Channel.ONLINE) == local(*monday, 15, 10)
    assert cal.reception_start(local(2026, 3, 7, 10), Channel.ONLINE) == local(2026, 3, 9, 7, 30)
    # The rule before Tết: Friday 13/2/2026 16:00 at the counter counts from 23/2.
    assert cal.reception_start(local(2026, 2, 13, 16), Channel.COUNTER) == local(2026, 2, 23, 7, 30)
    settings.DOSSIER_AFTER_HOURS_CUTOFF = ""
    assert cal.reception_start(local(*monday, 15, 10), Channel.COUNTER) == local(*monday, 15, 10)


def test_admin_edits_invalidate_the_cache():
    day = dt.date(2026, 3, 3)
    assert cal.is_working_day(day)
    row = CalendarDay.objects.create(date=day, is_working=False, reason="Nghỉ đột xuất")
    assert not cal.is_working_day(day)
    assert cal.add_working_time(local(2026, 3, 2, 9), 1, U.WORKING_DAYS) == local(2026, 3, 4, 9)
    row.delete()
    assert cal.is_working_day(day)


def test_agency_calendar_overrides_default_and_is_inherited():
    parent = Agency.objects.create(code="A", name="Sở", kind="department", level="province")
    child = Agency.objects.create(code="A.1", name="Phòng", kind="division", level="province", parent=parent)
    other = Agency.objects.create(code="B", name="Sở khác", kind="department", level="province")
    saturday = dt.date(2026, 3, 7)
    own = WorkingCalendar.objects.create(
        agency=parent, name="Làm thứ Bảy", periods=[["08:00", "12:00"]], weekdays=[0, 1, 2, 3, 4, 5]
    )
    assert cal.is_working_day(saturday, agency=child)
    assert not cal.is_working_day(saturday, agency=other)
    assert cal.add_working_time(local(2026, 3, 6, 11), 1, U.WORKING_DAYS, agency=parent) == local(2026, 3, 7, 11)
    # A day added only to this calendar does not affect others; national days still apply.
    CalendarDay.objects.create(calendar=own, date=dt.date(2026, 3, 9), is_working=False, reason="Nghỉ riêng")
    assert not cal.is_working_day(dt.date(2026, 3, 9), agency=parent)
    assert cal.is_working_day(dt.date(2026, 3, 9), agency=other)
    assert not cal.is_working_day(dt.date(2026, 2, 17), agency=parent)


def test_calendar_validation_messages():
    from django.core.exceptions import ValidationError

    bad = WorkingCalendar(name="x", periods=[["13:00", "11:00"]])
    with pytest.raises(ValidationError, match="giờ bắt đầu phải trước"):
        bad.full_clean()
    with pytest.raises(ValidationError, match="chồng lấn"):
        WorkingCalendar(name="x", periods=[["07:00", "12:00"], ["11:00", "17:00"]]).full_clean()


def test_seed_command_is_idempotent_and_keeps_admin_rows():
    CalendarDay.objects.create(date=dt.date(2027, 2, 4), is_working=True, reason="Quyết định của tỉnh")
    call_command("seed-calendar", years="2025-2027")
    assert SeededYear.objects.filter(year__in=[2025, 2026, 2027]).count() == 3
    count = CalendarDay.objects.count()
    call_command("seed-calendar", years="2025-2027")
    assert CalendarDay.objects.count() == count
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 4)).is_working  # admin row kept
    assert CalendarDay.objects.get(date=dt.date(2026, 8, 22)).is_working  # make-up Saturday
