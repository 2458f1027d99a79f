"""Properties of deadlines: always on a working moment, never moving backwards."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from motcua.catalog.models import DurationUnit
from motcua.workflow import calendar as cal

pytestmark = pytest.mark.django_db

starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 6, 30)).map(
    lambda d: d.replace(tzinfo=cal.TZ)
)
units = st.sampled_from(list(DurationUnit.values))
amounts = st.decimals(min_value=0, max_value=90, places=2).map(Decimal)
prop = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@prop
@given(start=starts, amount=amounts, unit=units)
def test_deadline_is_always_a_working_moment(start, amount, unit):
    due = cal.add_working_time(start, amount, unit)
    assert cal.is_working_moment(due), (start, amount, unit, due)
    assert due >= cal.next_working_moment(start)


@prop
@given(start=starts, amount=amounts, extra=amounts, unit=units)
def test_deadline_never_moves_back_when_amount_grows(start, amount, extra, unit):
    assert cal.add_working_time(start, amount, unit) <= cal.add_working_time(start, amount + extra, unit)


@prop
@given(start=starts, later=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=40)), amount=amounts, unit=units)
def test_deadline_never_moves_back_when_start_is_later(start, later, amount, unit):
    assert cal.add_working_time(start, amount, unit) <= cal.add_working_time(start + later, amount, unit)


@prop
@given(start=starts, hours=st.integers(min_value=0, max_value=2000))
def test_working_seconds_round_trip(start, hours):
    """Adding N working hours then measuring back gives N hours (from the first working moment)."""
    begin = cal.next_working_moment(start)
    due = cal.add_working_time(start, hours, DurationUnit.WORKING_HOURS)
    assert cal.working_seconds_between(begin, due) == hours * 3600
    assert cal.working_seconds_between(start, due) == hours * 3600
