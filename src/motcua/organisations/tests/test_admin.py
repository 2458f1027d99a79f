import pytest

from motcua.accounts.models import User
from motcua.organisations.adminunits import load_admin_units
from motcua.organisations.models import Agency, StaffRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("quantri", password="x", full_name="Quản trị")
    client.force_login(user)
    return client


def test_admin_pages_in_vietnamese(admin_client):
    load_admin_units(province="31")
    agency = Agency.objects.create(code="000.00.11.H31", name="Sở Tư pháp", kind="department", level="province")
    staff = User.objects.create_user("tuphap.tiepnhan", password="x", kind="staff", full_name="Phạm Thị Hoa")
    StaffRole.objects.create(user=staff, agency=agency, role="reception")

    page = admin_client.get("/quan-tri/organisations/administrativeunit/", {"q": "hong bang"})
    body = page.content.decode()
    assert page.status_code == 200 and "Phường Hồng Bàng" in body and "Phường Lê Chân" not in body
    assert "đơn vị hành chính" in body.lower()
    page = admin_client.get("/quan-tri/organisations/administrativeunit/", {"level": "province"})
    assert "Thành phố Hải Phòng" in page.content.decode() and "Phường Hồng Bàng" not in page.content.decode()

    page = admin_client.get("/quan-tri/organisations/agency/", {"q": "tư pháp"})
    assert "000.00.11.H31" in page.content.decode()
    assert admin_client.get(f"/quan-tri/organisations/agency/{agency.pk}/change/").status_code == 200
    auto = admin_client.get(
        "/quan-tri/autocomplete/",
        {"app_label": "organisations", "model_name": "agency", "field_name": "parent", "term": "pháp"},
    )
    assert auto.json()["results"][0]["text"] == "Sở Tư pháp"

    page = admin_client.get(f"/quan-tri/accounts/user/{staff.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "Cán bộ tiếp nhận (Một cửa)" in body and "Thông tin cá nhân, tổ chức" in body
    page = admin_client.get("/quan-tri/accounts/user/", {"q": "Phạm Thị"})
    assert "tuphap.tiepnhan" in page.content.decode()
    assert admin_client.get("/quan-tri/accounts/user/add/").status_code == 200
    response = admin_client.post(
        "/quan-tri/accounts/user/add/",
        {"username": "moi", "kind": "staff", "full_name": "Cán bộ mới", "password1": "Mk-dai-du-9x", "password2": "Mk-dai-du-9x",
         "usable_password": "true", "staff_roles-TOTAL_FORMS": "0", "staff_roles-INITIAL_FORMS": "0",
         "api_tokens-TOTAL_FORMS": "0", "api_tokens-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="moi").kind == "staff"
    assert admin_client.get("/quan-tri/integrations/outboxmessage/").status_code == 200
