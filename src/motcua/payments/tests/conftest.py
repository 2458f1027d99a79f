"""Factories for payment tests: a fee-bearing procedure, a citizen and a submitted dossier."""

from __future__ import annotations

import pytest

CITIZEN_PASSWORD = "mat-khau-thu-nghiem-2025"


@pytest.fixture
def agency(db):
    from motcua.organisations.models import Agency

    return Agency.objects.create(
        code="000.00.31.H26", name="UBND phường Hồng Bàng", kind="commune_committee", level="commune",
        is_service_point=True, address="1 Hoàng Văn Thụ, Hải Phòng",
    )


@pytest.fixture
def fee_procedure(db):
    """Cấp bản sao trích lục: lệ phí 8.000 đ (trực tiếp) and 8.000 đ + phí 2.000 đ (trực tuyến)."""
    from motcua.catalog.models import Fee, Procedure, ProcedureChannel

    procedure = Procedure.objects.create(code="2.000635", name="Cấp bản sao trích lục hộ tịch", levels=["commune"])
    counter = ProcedureChannel.objects.create(procedure=procedure, channel=1, duration_value=1, duration_unit="working_days")
    online = ProcedureChannel.objects.create(procedure=procedure, channel=2, duration_value=1, duration_unit="working_days")
    Fee.objects.create(channel=counter, kind="le_phi", amount=8000)
    Fee.objects.create(channel=online, kind="le_phi", amount=8000)
    Fee.objects.create(channel=online, kind="phi", amount=2000)
    return procedure


@pytest.fixture
def citizen(db):
    from motcua.accounts.models import User

    return User.objects.create_user(username="0912345678", password=CITIZEN_PASSWORD, full_name="Nguyễn Văn An",
                                    phone="0912345678")


@pytest.fixture
def other_citizen(db):
    from motcua.accounts.models import User

    return User.objects.create_user(username="0987654321", password=CITIZEN_PASSWORD, full_name="Trần Thị Bình")


@pytest.fixture
def make_dossier(fee_procedure, agency, citizen):
    from django.utils import timezone

    from motcua.dossiers.models import Dossier, Status

    counter = iter(range(1, 10_000))

    def make(status=Status.SUBMITTED, owner=citizen, **kw):
        n = next(counter)
        return Dossier.objects.create(
            code=f"{agency.code}-250101-{n:04d}", procedure=fee_procedure, status=status, channel=2,
            receiving_agency=agency, competent_agency=agency, owner=owner, applicant_name="Nguyễn Văn An",
            submitted_at=timezone.now(), **kw,
        )

    return make


@pytest.fixture
def awaiting(make_dossier):
    """A dossier in status 6 with an open request for its fee (10.000 đ)."""
    from motcua.dossiers.services import Actor
    from motcua.payments.services import request_payment

    def make(**kw):
        dossier = make_dossier(**kw)
        request_payment(dossier, Actor(role="system"))
        return dossier

    return make
