"""Query counts of the hot pages and APIs (issue 9): each is bounded, and does not grow when the
data behind it grows (no N+1), so a regression fails here before it shows in `make bench`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.accounts.models import User
from motcua.catalog import services as catalog
from motcua.catalog.demo import load_demo_catalogue
from motcua.catalog.models import Fee, ProcedureChannel
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, transition
from motcua.office.services import accept_dossier
from motcua.office.tests.conftest import make_agency, make_staff, submit_dossier
from motcua.organisations.models import Agency, StaffRole

pytestmark = pytest.mark.django_db


def queries(client, url, **extra):
    """(response, number of queries, their SQL) of one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    return response, len(ctx), [q["sql"] for q in ctx.captured_queries]


def more_procedures(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        catalog.import_record({"code": f"9.{i:06d}", "name": f"Đăng ký khai sinh trường hợp thử {i}"})


@pytest.fixture
def agency(db):
    return make_agency("000.00.01.H31", "UBND phường Hồng Bàng")


@pytest.fixture
def demo_catalogue(agency):
    Agency.objects.create(code="000.00.00.H31", name="Trung tâm Phục vụ hành chính công", kind="service_centre",
                          level="province", is_service_point=True)
    load_demo_catalogue()


@pytest.fixture
def citizen(db):
    return User.objects.create_user(username="0912345678", password="pw-Test-123", full_name="Nguyễn Văn An",
                                    phone="0912345678")


@pytest.fixture
def procedure(demo_catalogue):
    from motcua.catalog.models import Procedure

    return Procedure.objects.get(code="1.001193")


# ---------------------------------------------------------------- public pages


def test_home_page(client, demo_catalogue):
    r, first, _ = queries(client, "/")
    assert r.status_code == 200 and first <= 8
    more_procedures(15)
    _, second, _ = queries(client, "/")
    assert second == first


@pytest.mark.parametrize("url,extra", [
    ("/thu-tuc?q=dang+ky+khai+sinh", {}),
    ("/thu-tuc?q=khai+sinh", {"HTTP_HX_REQUEST": "true"}),  # the htmx results fragment
    ("/thu-tuc/goi-y?q=khai+sinh", {}),
    ("/api/v1/procedures?q=khai+sinh", {}),
    ("/api/v1/procedures", {}),
])
def test_catalogue_search_page_fragment_and_api(client, demo_catalogue, url, extra):
    # More matches than a page holds from the start; a first request after each change of the
    # catalogue rebuilds the process's search index (catalog/search.py). Then one query: the page's
    # rows with the catalogue version.
    more_procedures(25)
    client.get(url, **extra)
    r, first, _ = queries(client, url, **extra)
    assert r.status_code == 200 and first == 1
    more_procedures(25, start=25)
    client.get(url, **extra)
    r, second, _ = queries(client, url, **extra)
    assert r.status_code == 200 and second == first


def test_procedure_detail(client, procedure):
    r, first, _ = queries(client, f"/thu-tuc/{procedure.code}")
    assert r.status_code == 200 and first <= 12
    for i in range(5):  # more channels, fees and components
        channel = ProcedureChannel.objects.create(procedure=procedure, channel=1, duration_value=i + 1, duration_unit="working_days")
        Fee.objects.create(channel=channel, kind="le_phi", amount=1000 * i)
        procedure.components.create(name=f"Giấy tờ thêm {i}", order=100 + i)
    r, second, _ = queries(client, f"/thu-tuc/{procedure.code}")
    assert r.status_code == 200 and second == first


# ---------------------------------------------------------------- tracking and the citizen's dossiers


def test_tracking_by_code_page_and_api(client, procedure, agency, citizen):
    desk = make_staff(agency, "reception", username="motcua-qc")
    dossier = submit_dossier(procedure, agency, citizen)
    r, first, sql = queries(client, f"/tra-cuu?ma={dossier.code}")
    # One statement: dossier, procedure, agency, events, results; the rate limit writes nothing.
    assert r.status_code == 200 and dossier.code in r.content.decode() and first == 1
    # Exact matches on the unique index, never UPPER(code): that would scan every dossier.
    assert not any("UPPER" in s.upper() and "dossiers_dossier" in s and "code" in s for s in sql)
    accept_dossier(dossier, Actor(desk, "reception", agency=agency))
    for _ in range(3):
        transition(dossier, "request_supplement", Actor(desk, "reception", agency=agency), data={"items": [], "note": "Bổ sung"})
        transition(dossier, "supplement", Actor(citizen, "applicant", agency=agency))
    r, second, _ = queries(client, f"/tra-cuu?ma={dossier.code.lower()}")  # typed in lower case: still found
    assert r.status_code == 200 and dossier.code in r.content.decode() and second == first
    r, api, _ = queries(client, f"/api/v1/dossiers/tracking/{dossier.code}")
    assert r.status_code == 200 and r.json()["code"] == dossier.code and api == 1
    r, missing, _ = queries(client, "/tra-cuu?ma=KHONG-CO-MA-NAY")
    assert r.status_code == 404 and missing == 1


def test_my_dossiers(client, procedure, agency, citizen):
    submit_dossier(procedure, agency, citizen)
    client.force_login(citizen)
    r, first, _ = queries(client, "/ho-so-cua-toi/")
    assert r.status_code == 200 and first <= 10
    for i in range(8):
        submit_dossier(procedure, agency, citizen, identity=f"00120300013{i}")
    r, second, _ = queries(client, "/ho-so-cua-toi/")
    assert r.status_code == 200 and second == first


# ---------------------------------------------------------------- the office


def test_reception_and_work_inboxes(client, procedure, agency, citizen):
    desk = make_staff(agency, "reception", "specialist", username="motcua-inbox")
    actor = Actor(desk, "reception", agency=agency)
    for i in range(2):
        accept_dossier(submit_dossier(procedure, agency, citizen, identity=f"00120300014{i}"), actor)
    submit_dossier(procedure, agency, citizen)
    client.force_login(desk)
    counts = {}
    for url in ("/can-bo/tiep-nhan/", "/can-bo/ho-so/", "/can-bo/ho-so/?trang-thai=4", "/can-bo/ho-so/?q=Nguyễn"):
        r, counts[url], _ = queries(client, url)
        # The user, their roles, the page's rows (the session comes from the cache).
        assert r.status_code == 200 and counts[url] <= 3, url
    for i in range(6):
        d = submit_dossier(procedure, agency, citizen, identity=f"00120300015{i}")
        if i % 2:
            accept_dossier(d, actor)
    for url, first in counts.items():
        r, second, _ = queries(client, url)
        assert r.status_code == 200 and second == first, url


# ---------------------------------------------------------------- statistics


def test_statistics_dashboard(client, agency, procedure, citizen):
    manager = User.objects.create_user("thongke-qc", password="matkhau-123", kind=User.Kind.STAFF, full_name="Cán bộ thống kê")
    StaffRole.objects.create(user=manager, agency=agency, role="manager")
    client.force_login(manager)
    r, first, _ = queries(client, "/thong-ke/")
    assert r.status_code == 200 and first <= 25
    for i in range(5):
        submit_dossier(procedure, agency, citizen, identity=f"00120300016{i}")
    r, second, sql = queries(client, "/thong-ke/")
    assert r.status_code == 200 and second == first
    assert not any('FROM "dossiers_dossier"' in s for s in sql)  # rollups, never the dossier table


# ---------------------------------------------------------------- payment callback


def test_payment_callback(client, agency, citizen):
    from motcua.catalog.models import Procedure
    from motcua.payments import services as payments
    from motcua.payments.registry import get_gateway

    procedure = Procedure.objects.create(code="2.000635", name="Cấp bản sao trích lục hộ tịch")
    desk = make_staff(agency, "reception", username="motcua-pay")
    counts = []
    for n in range(2):
        dossier = Dossier.objects.create(
            code=f"{agency.code}-QC-{n}", procedure=procedure, status=Status.SUBMITTED, channel=2, receiving_agency=agency,
            competent_agency=agency, owner=citizen, applicant_name="Nguyễn Văn An", submitted_at=timezone.now(),
        )
        payments.request_payment(dossier, Actor(desk, "reception", agency=agency), amount=10000)
        payment, url = payments.start_payment(dossier, "vnpay", citizen)
        params = get_gateway("vnpay").simulate_result(dict(parse_qsl(urlsplit(url).query)), success=True,
                                                      transaction_no=f"7000{n}")
        r, count, _ = queries(client, "/thanh-toan/ipn/vnpay/", data=params)
        assert r.status_code == 200 and r.json()["RspCode"] == "00"
        dossier.refresh_from_db()
        assert dossier.status == Status.SUBMITTED
        counts.append(count)
    assert counts[0] == counts[1] <= 10  # PostgreSQL 6 (issue 6: one gate statement), SQLite 10


def test_inboxes_of_several_agencies_keep_the_time_order(client, procedure, agency, citizen):
    """Staff of two agencies: one list, still by time left (work) and by submission (reception)."""
    import datetime as dt

    other = make_agency("000.00.02.H31", "UBND phường Ngô Quyền")
    staff = make_staff(agency, "reception", "specialist", username="motcua-two")
    for role in ("reception", "specialist"):
        StaffRole.objects.create(user=staff, agency=other, role=role)
    now = timezone.now()
    accepted, waiting = [], []
    for i, place in enumerate([agency, other, agency, other]):
        d = submit_dossier(procedure, place, citizen, identity=f"00120300017{i}")
        Dossier.objects.filter(pk=d.pk).update(submitted_at=now - dt.timedelta(hours=10 - i))
        waiting.append(d)
        d2 = submit_dossier(procedure, place, citizen, identity=f"00120300018{i}")
        accept_dossier(d2, Actor(staff, "reception", agency=place))
        Dossier.objects.filter(pk=d2.pk).update(appointment_at=now + dt.timedelta(days=[3, 1, 4, 2][i]))
        accepted.append(d2)
    client.force_login(staff)
    html = client.get("/can-bo/ho-so/?trang-thai=4").content.decode()
    positions = [html.index(d.code) for d in accepted]
    assert positions[1] < positions[3] < positions[0] < positions[2]  # appointments 1, 2, 3, 4 days ahead
    html = client.get("/can-bo/tiep-nhan/").content.decode()
    positions = [html.index(d.code) for d in waiting]
    assert positions == sorted(positions)  # oldest submission first, both agencies mixed
