"""Fixtures of the office tests: two agencies with their staff, a procedure, submitted dossiers."""

from __future__ import annotations

import itertools

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from motcua.accounts.models import User
from motcua.catalog.models import Channel, DocumentComponent, DurationUnit, Procedure, ProcedureChannel
from motcua.dossiers.attachments import add_attachment
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, allocate_code, transition
from motcua.organisations.models import Agency, StaffRole

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_seq = itertools.count(1)


def make_agency(code: str, name: str) -> Agency:
    return Agency.objects.create(code=code, name=name, kind=Agency.Kind.COMMUNE_COMMITTEE, level=Agency.Level.COMMUNE, is_service_point=True)


def make_staff(agency: Agency, *roles: str, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or f"staff{next(_seq)}", password="pw-Test-123", kind=User.Kind.STAFF, full_name="Cán bộ thử"
    )
    for role in roles:
        StaffRole.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def agency(db):
    return make_agency("000.00.01.H31", "UBND phường Hồng Bàng")


@pytest.fixture
def other_agency(db):
    return make_agency("000.00.02.H31", "UBND phường Ngô Quyền")


@pytest.fixture
def procedure(db):
    p = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh", search_text="1.001193 dang ky khai sinh")
    ProcedureChannel.objects.create(
        procedure=p, channel=Channel.ONLINE, duration_value=3, duration_unit=DurationUnit.WORKING_DAYS
    )
    ProcedureChannel.objects.create(
        procedure=p, channel=Channel.COUNTER, duration_value=3, duration_unit=DurationUnit.WORKING_DAYS
    )
    DocumentComponent.objects.create(procedure=p, name="Tờ khai đăng ký khai sinh", order=1)
    DocumentComponent.objects.create(procedure=p, name="Giấy chứng sinh", form=DocumentComponent.Form.ORIGINAL, order=2)
    return p


@pytest.fixture
def citizen(db):
    return User.objects.create_user(username="0912345678", password="pw-Test-123", full_name="Nguyễn Văn An")


@pytest.fixture
def desk(agency):
    return make_staff(agency, "reception", username="motcua1")


@pytest.fixture
def specialist(agency):
    return make_staff(agency, "specialist", username="chuyenvien1")


@pytest.fixture
def leader(agency):
    return make_staff(agency, "leader", username="lanhdao1")


@pytest.fixture
def outsider(other_agency):
    return make_staff(other_agency, "reception", "specialist", "leader", "agency_admin", username="nguoingoai")


def submit_dossier(procedure, agency, owner, *, name="Nguyễn Văn An", identity="001203000123", files=True) -> Dossier:
    """A dossier submitted online (status 1) through the service layer."""
    d = Dossier.objects.create(
        procedure=procedure,
        receiving_agency=agency,
        competent_agency=agency,
        owner=owner,
        applicant_name=name,
        applicant_identity=identity,
        applicant_phone="0912345678",
        channel=Channel.ONLINE,
    )
    if files:
        for c in procedure.components.all():
            add_attachment(d, c, ContentFile(PDF, name=f"{c.pk}.pdf"), user=owner)
    now = timezone.now()
    transition(
        d,
        "submit",
        Actor(owner, "applicant", agency=agency),
        at=now,
        update_fields={"code": allocate_code(agency, now), "submitted_at": now, "current_agency": agency},
    )
    return d


@pytest.fixture
def submitted(procedure, agency, citizen):
    return submit_dossier(procedure, agency, citizen)


@pytest.fixture
def status_is():
    def check(dossier, status):
        dossier.refresh_from_db()
        return dossier.status == status

    return check


__all__ = ["PDF", "Status", "make_agency", "make_staff", "submit_dossier"]
