import datetime as dt

import pytest

from motcua.workflow import calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test's database is rolled back, so the in-process calendar cache must be too."""
    calendar.invalidate()
    yield
    calendar.invalidate()


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=calendar.TZ)
