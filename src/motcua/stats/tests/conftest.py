"""Hand-built agencies, procedures and dossier histories for the statistics tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from motcua.catalog.models import Channel, DurationUnit, Field, OnlineService, Procedure, ProcedureChannel, ServiceLevel
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Actor, transition
from motcua.dossiers.signals import dossier_transitioned
from motcua.organisations.models import Agency
from motcua.stats.rollups import on_dossier_transitioned

ROLES = {
    "receive_at_counter": "reception", "accept": "reception", "refuse": "reception", "start_processing": "specialist",
    "request_supplement": "specialist", "supplement": "applicant", "approve": "leader", "return_result": "reception",
    "withdraw": "applicant", "stop": "leader", "submit": "applicant", "request_payment": "specialist",
    "payment_received": "system",
}


def at(y, m, d, h=9, mi=0):
    return timezone.make_aware(dt.datetime(y, m, d, h, mi))


@pytest.fixture(autouse=True)
def only_stats_receiver():
    """Formulas are tested on histories written by hand (appointment moves included), so other
    apps' receivers (deadlines, notifications) are detached during these tests."""
    saved = list(dossier_transitioned.receivers)
    dossier_transitioned.receivers = []
    dossier_transitioned.sender_receivers_cache.clear()
    dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="stats_rollups")
    yield
    dossier_transitioned.receivers = saved
    dossier_transitioned.sender_receivers_cache.clear()


@pytest.fixture(autouse=True)
def no_report_cache(monkeypatch):
    """Tests change data between two page loads: figures are never served from the cache here."""
    from motcua.stats import reports

    monkeypatch.setattr(reports, "CACHE_SECONDS", 0)


@pytest.fixture
def world(db):
    province = Agency.objects.create(code="000.00.00.H31", name="UBND thành phố Hải Phòng", kind="province_committee", level="province")
    justice = Agency.objects.create(code="000.00.10.H31", name="Sở Tư pháp", short_name="Sở Tư pháp", kind="department",
                                    level="province", parent=province)
    health = Agency.objects.create(code="000.00.11.H31", name="Sở Y tế", short_name="Sở Y tế", kind="department",
                                   level="province", parent=province)
    field = Field.objects.create(code="HT", name="Hộ tịch")
    proc = Procedure.objects.create(code="1.000001", name="Đăng ký khai sinh", field=field)
    proc2 = Procedure.objects.create(code="1.000002", name="Cấp phiếu lý lịch tư pháp", field=field)
    ProcedureChannel.objects.create(procedure=proc, channel=Channel.ONLINE, duration_value=5, duration_unit=DurationUnit.WORKING_DAYS)
    ProcedureChannel.objects.create(procedure=proc2, channel=Channel.ONLINE, duration_value=10, duration_unit=DurationUnit.DAYS)
    OnlineService.objects.create(procedure=proc, agency=justice, service_level=ServiceLevel.FULL)
    OnlineService.objects.create(procedure=proc2, agency=justice, service_level=ServiceLevel.INFORMATION)
    OnlineService.objects.create(procedure=proc, agency=health, service_level=ServiceLevel.PARTIAL)
    return type("World", (), dict(province=province, justice=justice, health=health, field=field, proc=proc, proc2=proc2))


@pytest.fixture
def history(django_capture_on_commit_callbacks):
    """``history(agency, procedure, channel, [(action, at, {fields}), ...], **dossier fields)``."""

    def make(agency, procedure, channel, steps, **fields):
        dossier = Dossier.objects.create(
            procedure=procedure, receiving_agency=agency, competent_agency=agency, current_agency=agency,
            channel=channel, applicant_name="Nguyễn Văn A", **fields,
        )
        for action, when, updates in steps:
            if action == "approve":  # as the workflow's deadline receiver does
                updates = {"decided_at": when, **updates}
            with django_capture_on_commit_callbacks(execute=True):
                transition(dossier, action, Actor(role=ROLES[action], agency=agency), at=when, update_fields=updates)
        return dossier

    return make


def received(when, appointment):
    return ("receive_at_counter", when, {"received_at": when, "appointment_at": appointment})
