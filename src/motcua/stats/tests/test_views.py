"""Dashboard, drill-down, exports, public page and API; figures checked against direct SQL."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.accounts.models import User
from motcua.catalog.models import Channel
from motcua.organisations.models import StaffRole
from motcua.stats import rollups
from motcua.stats.tests.conftest import at, received
from motcua.stats.tests.test_indicators import march  # noqa: F401  (fixture)


def staff(agency, role="manager", username="thongke"):
    user = User.objects.create_user(username, password="matkhau-123", kind=User.Kind.STAFF, full_name="Cán bộ thống kê")
    StaffRole.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def manager_client(client, world):
    client.force_login(staff(world.province))
    return client


def test_dashboard_permissions(client, world):
    assert client.get("/thong-ke/").status_code == 302
    client.force_login(User.objects.create_user("citizen", password="x-12345678"))
    assert client.get("/thong-ke/").status_code == 403
    client.force_login(staff(world.justice, role="specialist", username="cv"))
    assert client.get("/thong-ke/").status_code == 403


def test_manager_sees_only_their_subtree(client, world, march):
    client.force_login(staff(world.justice))
    page = client.get("/thong-ke/?ky=2025-03")
    assert page.status_code == 200
    assert page.context["report"].total.received == 4  # Justice only, not Health's post dossier
    assert client.get(f"/thong-ke/?ky=2025-03&co_quan={world.health.id}").status_code == 403
    assert client.get(f"/thong-ke/ho-so/?chi_tieu=received&ky=2025-03&co_quan={world.health.id}").status_code == 403


def test_bad_parameters_answer_400_in_vietnamese(manager_client):
    page = manager_client.get("/thong-ke/?ky=2025-13")
    assert page.status_code == 400 and "Kỳ báo cáo không hợp lệ" in page.content.decode()
    assert manager_client.get("/thong-ke/?co_quan=abc").status_code == 400
    assert manager_client.get("/thong-ke/?chi_so=9.9").status_code == 400
    assert manager_client.get("/thong-ke/ho-so/?chi_tieu=xyz").status_code == 400
    assert manager_client.get("/thong-ke/ho-so/?chi_tieu=received&kenh=9").status_code == 400


def test_dashboard_shows_charts_and_drills_down(manager_client, world, march):
    page = manager_client.get("/thong-ke/?ky=2025-03")
    html = page.content.decode()
    assert html.count('<svg class="chart" role="img"') == 3
    assert "<title" in html and "<desc" in html and "Bảng số liệu của biểu đồ xu hướng" in html
    assert "/thong-ke/ho-so/?chi_tieu=received_online" in html
    drill = manager_client.get(f"/thong-ke/ho-so/?chi_tieu=received&ky=2025-03&co_quan={world.justice.id}")
    assert drill.status_code == 200 and drill.context["page"].paginator.count == 4
    online = manager_client.get(f"/thong-ke/ho-so/?chi_tieu=received_online&ky=2025-03&co_quan={world.justice.id}")
    assert {d.pk for d in online.context["page"]} == {march["a"].pk, march["c"].pk}
    fields = page.context["report"].fields
    assert [(r["name"], r["fig"].received) for r in fields] == [("Hộ tịch", 5)]
    by_field = manager_client.get(f"/thong-ke/ho-so/?chi_tieu=received&ky=2025-03&linh_vuc={world.field.id}")
    assert by_field.context["page"].paginator.count == 5
    decided = manager_client.get("/thong-ke/ho-so/?chi_tieu=decided&ky=2025-04")
    assert [d.pk for d in decided.context["page"]] == [march["d"].pk]


def test_exports(manager_client, world, march):
    from openpyxl import load_workbook

    csv = manager_client.get("/thong-ke/bao-cao.csv?ky=2025-03")
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "Sở Tư pháp" in text and "Tổng cộng" in text
    xlsx = manager_client.get("/thong-ke/bao-cao.xlsx?ky=2025-03")
    ws = load_workbook(io.BytesIO(xlsx.content))["Báo cáo"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    total = next(r for r in rows if r[1] == "Tổng cộng")
    assert total[header.index("Tiếp nhận")] == 5
    assert total[header.index("3.3 Tỷ lệ trực tuyến (%)")] == 40.0


def test_public_page_and_api_have_no_personal_data(client, world, march):
    page = client.get("/cong-khai/thong-ke/?ky=2025-03")
    html = page.content.decode()
    assert page.status_code == 200 and "Sở Tư pháp" in html
    assert "Nguyễn Văn A" not in html and "/thong-ke/ho-so/" not in html
    assert client.get("/cong-khai/thong-ke/?ky=x").status_code == 400
    data = client.get("/api/v1/stats/indicators?ky=2025-03").json()
    assert data["total"]["received"] == 5 and data["label"] == "Tháng 3/2025"
    assert {a["name"] for a in data["agencies"]} == {"Sở Tư pháp", "Sở Y tế"}
    assert client.get("/api/v1/stats/indicators?ky=bad").status_code == 400
    assert client.get("/api/v1/stats/indicators?co_quan=999999").status_code == 404


def _sql_figures(agency_ids, start, end):
    """Direct SQL over the dossier table: what the rollups must agree with."""
    adapt = connection.ops.adapt_datetimefield_value
    start, end = adapt(start), adapt(end)
    ids = ", ".join(str(int(i)) for i in agency_ids)
    q = lambda sql, *p: connection.cursor().execute(sql, p).fetchone()[0]  # noqa: E731
    base = f"FROM dossiers_dossier WHERE competent_agency_id IN ({ids})"
    late_rule = "(supplement_count > 1 OR timeliness = 'late')"
    return {
        "received": q(f"SELECT COUNT(*) {base} AND received_at >= %s AND received_at < %s", start, end),
        "received_online": q(f"SELECT COUNT(*) {base} AND channel = 2 AND received_at >= %s AND received_at < %s", start, end),
        "decided_total": q(f"SELECT COUNT(*) {base} AND decided_at >= %s AND decided_at < %s", start, end),
        "decided_late": q(f"SELECT COUNT(*) {base} AND decided_at >= %s AND decided_at < %s AND {late_rule}", start, end),
        "in_progress": q(f"SELECT COUNT(*) {base} AND received_at < %s AND (decided_at IS NULL OR decided_at >= %s) "
                         "AND status NOT IN (3, 7, 8)", end, end),
        "overdue": q(f"SELECT COUNT(*) {base} AND received_at < %s AND (decided_at IS NULL OR decided_at >= %s) "
                     "AND status NOT IN (3, 7, 8) AND appointment_at < %s", end, end, end),
        "paid_online": q(f"SELECT COUNT(*) {base} AND paid_online > 0"),
    }


def test_dashboard_figures_equal_direct_sql(manager_client, world, march, history):
    # A few more dossiers, decided with the workflow's timeliness written.
    for day in (10, 11, 12):
        history(world.health, world.proc2, Channel.ONLINE, [
            received(at(2025, 3, day), at(2025, 3, day + 5, 17)), ("start_processing", at(2025, 3, day, 10), {}),
            ("approve", at(2025, 3, day + 7), {"timeliness": "late"}),
        ])
    rollups.refresh(now=at(2025, 6, 1))
    from motcua.stats.indicators import Period

    period = Period.parse("2025-03")
    total = manager_client.get("/thong-ke/?ky=2025-03").context["report"].total
    expected = _sql_figures([world.justice.id, world.health.id], period.starts_at, period.ends_at)
    got = {k: getattr(total, k) for k in expected}
    assert got == expected
    assert expected["received"] == 8 and expected["decided_late"] == 4


def test_dashboard_query_count_does_not_grow_with_data(manager_client, world, march, history):
    with CaptureQueriesContext(connection) as first:
        assert manager_client.get("/thong-ke/?ky=2025-Q1").status_code == 200
    for day in range(1, 15):
        history(world.health, world.proc2, Channel.COUNTER, [received(at(2025, 2, day), at(2025, 2, day + 3, 17))])
    with CaptureQueriesContext(connection) as second:
        manager_client.get("/thong-ke/?ky=2025-Q1")
    assert len(second) == len(first) <= 20
    assert not any("dossiers_dossier" in q["sql"] for q in second.captured_queries)


def test_rating_api_for_the_owner_only(client, world, march):
    owner = User.objects.create_user("chuhoso", password="matkhau-123")
    e = march["e"]
    type(e).objects.filter(pk=e.pk).update(owner=owner)
    url = "/api/v1/stats/ratings"
    assert client.post(url, {"dossier_id": e.pk, "score": 5}, content_type="application/json").status_code == 401
    client.force_login(User.objects.create_user("khac", password="matkhau-123"))
    assert client.post(url, {"dossier_id": e.pk, "score": 5}, content_type="application/json").status_code == 404
    client.force_login(owner)
    bad = client.post(url, {"dossier_id": e.pk, "score": 0}, content_type="application/json")
    assert bad.status_code == 400 and "1 đến 5" in bad.json()["detail"]
    ok = client.post(url, {"dossier_id": e.pk, "score": 4, "comment": "Nhanh"}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["score"] == 4
    again = client.post(url, {"dossier_id": e.pk, "score": 4}, content_type="application/json")
    assert again.status_code == 400 and "đã được đánh giá" in again.json()["detail"]
