import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from motcua.accounts.validators import validate_cccd, validate_tax_code
from motcua.organisations.demo import DEMO_PASSWORD
from motcua.organisations.models import Agency, Role, StaffRole

pytestmark = pytest.mark.django_db


def test_demo_twice_is_idempotent_and_fast(capsys, client):
    call_command("demo")
    first = capsys.readouterr().out
    assert "tuphap.tiepnhan" in first and DEMO_PASSWORD in first
    counts = (Agency.objects.count(), StaffRole.objects.count(), get_user_model().objects.count())

    started = time.perf_counter()
    call_command("demo")
    assert time.perf_counter() - started < 1.0
    assert "đã có dữ liệu mẫu" in capsys.readouterr().out.lower()
    call_command("demo", force=True)  # re-running everything creates nothing twice
    assert (Agency.objects.count(), StaffRole.objects.count(), get_user_model().objects.count()) == counts

    root = Agency.objects.get(code="000.00.00.H31")
    assert root.kind == "province_committee" and root.name == "Ủy ban nhân dân thành phố Hải Phòng"
    assert Agency.objects.get(kind="service_centre").is_service_point
    departments = Agency.objects.filter(kind="department", parent=root)
    assert {a.short_name for a in departments} == {"STP", "SXD", "STC", "SYT", "CA"}
    for dept in departments:
        assert dept.children.filter(kind="division").count() == 1
    communes = Agency.objects.filter(kind="commune_committee")
    assert communes.count() == 5
    for c in communes:
        assert c.is_service_point and c.level == "commune"
        assert c.administrative_unit.parent.code == "31" and c.administrative_unit.level == "commune"
    assert Agency.objects.get(name="Ủy ban nhân dân phường Hồng Bàng").code == "000.00.51.H31"

    from motcua.catalog.models import OnlineService  # the demo catalogue is loaded for these agencies

    assert all(OnlineService.objects.filter(agency=c).exists() for c in communes)
    justice = Agency.objects.get(short_name="STP")
    commune = communes.get(code="000.00.51.H31")
    for agency in (justice, commune):
        roles = set(StaffRole.objects.filter(agency=agency).values_list("role", flat=True))
        assert {Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN} <= roles
    assert StaffRole.objects.filter(agency=root, role=Role.MANAGER).exists()
    admin = StaffRole.objects.get(role=Role.SYSTEM_ADMIN).user
    assert admin.is_superuser and admin.is_staff

    User = get_user_model()
    citizens = User.objects.filter(kind="citizen")
    assert citizens.count() == 2
    for c in citizens:
        assert c.contact_confirmed and validate_cccd(c.identity_number, birth_date=c.birth_date)
    business = User.objects.get(kind="business")
    assert validate_tax_code(business.tax_code) == business.tax_code


def test_demo_staff_can_log_in(client):
    call_command("demo")
    response = client.post("/dang-nhap/", {"username": "tuphap.tiepnhan", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username="tuphap.tiepnhan").pk)
