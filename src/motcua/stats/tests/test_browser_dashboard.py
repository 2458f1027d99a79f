"""The dashboard in Chromium: charts drawn, drill-down reachable by keyboard; saves a screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from motcua.accounts.models import User
from motcua.organisations.models import Agency, StaffRole
from motcua.stats import rollups
from motcua.stats.generator import Generator
from motcua.stats.models import Indicator
from motcua.stats.services import set_target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def test_dashboard_shows_charts(page, live_server):
    root = Agency.objects.create(code="000.00.00.H31", name="UBND thành phố Hải Phòng", kind="province_committee",
                                 level="province")
    Generator(4000, agencies=6, seed=3, days=420).run()
    rollups.rebuild()
    rollups.rebuild_snapshots()
    set_target(Indicator.ONLINE_RATE, 40)
    user = User.objects.create_user("quanly", password="matkhau-123", kind=User.Kind.STAFF, full_name="Cán bộ thống kê")
    StaffRole.objects.create(user=user, agency=root, role="manager")
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])

    page.goto("/thong-ke/")
    assert page.get_by_role("heading", name="Thống kê kết quả giải quyết TTHC").is_visible()
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    assert page.locator("svg.chart polyline").count() >= 2  # two trend lines
    assert page.locator("svg.chart rect").count() >= 5  # bars
    box = charts.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="Trực tuyến:").first.click()
    page.wait_for_url("**/thong-ke/ho-so/**")
    assert page.get_by_role("heading", name="Tiếp nhận trực tuyến").is_visible()
