import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, settings

from motcua.catalog import services
from motcua.catalog.demo import load_demo_catalogue
from motcua.catalog.models import OnlineService, Procedure
from motcua.organisations.models import Agency
from motcua.wsgi import application


@pytest.fixture
def agencies(db):
    centre = Agency.objects.create(code="000.00.01.H29", name="Trung tâm Phục vụ hành chính công", kind="service_centre", level="province", is_service_point=True)
    justice = Agency.objects.create(code="000.11.01.H29", name="Sở Tư pháp", kind="department", level="province")
    building = Agency.objects.create(code="000.12.01.H29", name="Sở Xây dựng", kind="department", level="province")
    finance = Agency.objects.create(code="000.13.01.H29", name="Sở Tài chính", kind="department", level="province")
    police = Agency.objects.create(code="000.30.01.H29", name="Công an tỉnh", kind="department", level="province")
    communes = [
        Agency.objects.create(code=f"000.00.{i}.H29", name=f"UBND phường {i}", kind="commune_committee", level="commune", is_service_point=True)
        for i in (31, 32)
    ]
    return {"centre": centre, "justice": justice, "building": building, "finance": finance, "police": police, "communes": communes}


@pytest.mark.django_db
def test_demo_catalogue_without_agencies_creates_no_online_service():
    counts = load_demo_catalogue()
    assert counts["created"] >= 40
    assert OnlineService.objects.count() == 0
    with_time_and_fee = Procedure.objects.filter(channels__duration_value__isnull=False, channels__fees__isnull=False).distinct()
    assert with_time_and_fee.count() >= 40
    assert load_demo_catalogue()["unchanged"] == counts["created"]


def test_demo_catalogue_offers_services_at_the_right_agencies(agencies):
    load_demo_catalogue()
    birth = OnlineService.objects.filter(procedure__code="1.001193")
    assert {s.agency for s in birth} == set(agencies["communes"])
    service = birth.first()
    assert service.service_level == "full"  # free and online
    assert service.eform.code == "to-khai-dang-ky-khai-sinh"
    assert Procedure.objects.get(code="1.001193").components.filter(eform=service.eform).exists()
    assert set(service.receiving_points.all()) == {service.agency, agencies["centre"], *agencies["communes"]}
    assert OnlineService.objects.get(procedure__code="3.000333").agency == agencies["justice"]
    assert OnlineService.objects.get(procedure__code="1.013236").agency == agencies["building"]
    assert OnlineService.objects.get(procedure__code="1.013236").service_level == "partial"  # has a fee
    load_demo_catalogue()
    assert OnlineService.objects.filter(procedure__code="1.001193").count() == 2


def test_search_page_suggestions_and_detail(client, agencies):
    load_demo_catalogue()
    with CaptureQueriesContext(connection) as queries:
        r = client.get("/thu-tuc", {"q": "dang ky khai sinh"})
    assert r.status_code == 200 and len(queries) <= 8
    html = r.content.decode()
    assert 'hx-get="/thu-tuc/goi-y"' in html and "input changed delay:250ms" in html
    assert "/thu-tuc/1.001193" in html and "Hộ tịch" in html
    r = client.get("/thu-tuc/goi-y", {"q": "ly lich tu"})
    assert "/thu-tuc/3.000333" in r.content.decode()
    r = client.get("/thu-tuc", {"cap": "sao-hoa"})
    assert r.status_code == 400 and "Cấp thực hiện không hợp lệ" in r.content.decode()
    with CaptureQueriesContext(connection) as queries:
        r = client.get("/thu-tuc/1.004194")
    assert len(queries) <= 10
    html = r.content.decode()
    assert "Nộp hồ sơ trực tuyến" in html and 'href="/nop-ho-so/1.004194/"' in html
    assert "3 ngày làm việc" in html and "10.000 đồng" in html and "7.000 đồng" in html
    assert "@media print" in html and "Thành phần hồ sơ" in html and "Căn cứ pháp lý" in html
    assert client.get("/thu-tuc/9.999999").status_code == 404


@pytest.mark.django_db
def test_detail_without_online_service_has_no_submit_link(client):
    services.import_record({"code": "9.000003", "name": "Thủ tục chỉ thông tin"})
    html = client.get("/thu-tuc/9.000003").content.decode()
    assert "Nộp hồ sơ trực tuyến" not in html and "chỉ cung cấp thông tin" in html


def test_api_search_and_detail(client, agencies):
    load_demo_catalogue()
    r = client.get("/api/v1/procedures", {"q": "ĐĂNG KÝ TẠM TRÚ"})
    body = r.json()
    assert r.status_code == 200 and body["results"][0]["code"] == "1.004194"
    assert body["results"][0]["online"] is True and body["facets"]["levels"]
    r = client.get("/api/v1/procedures", {"agency": agencies["justice"].code})
    assert {p["code"] for p in r.json()["results"]} >= {"3.000333"}
    r = client.get("/api/v1/procedures", {"service_level": "full", "level": "province"})
    assert all("province" in p["levels"] for p in r.json()["results"])
    r = client.get("/api/v1/procedures/1.004194")
    detail = r.json()
    assert detail["version"] == 1 and detail["channels"][0]["fees"]
    assert detail["online_services"] and detail["components"][1]["eform"] == "to-khai-thay-doi-thong-tin-cu-tru-tam-tru"
    for params in ({"level": "galaxy"}, {"page": 0}, {"per_page": 1000}, {"page": "abc"}):
        r = client.get("/api/v1/procedures", params)
        assert r.status_code == 422 and "không hợp lệ" in r.json()["detail"], params
    assert client.get("/api/v1/procedures/không-có").json()["detail"] == "Không tìm thấy dữ liệu yêu cầu."


def test_api_search_answer_has_the_documented_schema(client, agencies):
    """The search view renders its answer without ninja's validation: it must be exactly what
    SearchOut documents (same keys, types and values once validated)."""
    from motcua.catalog.api import SearchOut

    load_demo_catalogue()
    for params in ({"q": "dang ky"}, {"q": "ho tich", "per_page": 3, "page": 2}, {}, {"q": "zzzqqq"}):
        body = client.get("/api/v1/procedures", params).json()
        assert SearchOut.model_validate(body).model_dump(mode="json") == body, params
    assert body["results"] == [] and body["count"] == 0 and body["facets"] == {"fields": [], "levels": []}


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(path_regex="^/api/v1/procedures")


@pytest.fixture
def keep_test_connection():
    """Schemathesis calls the WSGI application itself, whose end-of-request signal would close the
    test's database connection (inside the test transaction) on PostgreSQL; Django's test client
    disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_catalogue_api_conforms_to_its_schema(case, keep_test_connection):
    case.call_and_validate()
