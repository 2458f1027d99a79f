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


@pytest.fixture
def org(db):
    """A service centre (desk) receiving for a commune committee, with staff at both."""
    from types import SimpleNamespace

    from motcua.accounts.models import User
    from motcua.catalog.models import Procedure, ProcedureChannel
    from motcua.organisations.models import Agency, StaffRole

    desk = Agency.objects.create(code="000.00.00.H26", name="Trung tâm PVHCC", kind="service_centre", level="province")
    commune = Agency.objects.create(code="000.00.31.H26", name="UBND phường Hồng Bàng", kind="commune_committee", level="commune")
    other = Agency.objects.create(code="000.00.05.H26", name="Sở Tư pháp", kind="department", level="province")
    procedure = Procedure.objects.create(code="1.001193", name="Đăng ký khai sinh")
    ProcedureChannel.objects.create(procedure=procedure, channel=2, duration_value=3, duration_unit="working_days")
    ProcedureChannel.objects.create(procedure=procedure, channel=1, duration_value=1, duration_unit="working_days")

    def staff(username, agency, *roles):
        user = User.objects.create_user(username=username, password="x" * 12, kind="staff", full_name=username,
                                        email=f"{username}@example.vn")
        for role in roles:
            StaffRole.objects.create(user=user, agency=agency, role=role)
        return user

    return SimpleNamespace(
        desk=desk,
        commune=commune,
        other=other,
        procedure=procedure,
        receptionist=staff("tiepnhan", desk, "reception"),
        specialist=staff("chuyenvien", commune, "specialist"),
        specialist2=staff("chuyenvien2", commune, "specialist"),
        leader=staff("lanhdao", commune, "leader"),
        other_specialist=staff("tuphap", other, "specialist"),
        outsider=staff("ngoai", other, "leader"),
    )


@pytest.fixture
def make_dossier(org):
    from motcua.dossiers.models import Dossier

    counter = iter(range(1, 10_000))

    def make(status=1, channel=2, received_at=None, **fields):
        n = next(counter)
        return Dossier.objects.create(
            code=f"000.00.00.H26-260302-{n:04d}",
            procedure=org.procedure,
            status=status,
            channel=channel,
            receiving_agency=org.desk,
            competent_agency=org.commune,
            applicant_name="Nguyễn Văn An",
            received_at=received_at,
            submitted_at=received_at,
            **fields,
        )

    return make


@pytest.fixture
def act(org, django_capture_on_commit_callbacks):
    """Run a dossier transition as a given user/role, executing the after-commit receivers."""
    from motcua.dossiers.services import Actor, transition

    def run(dossier, action, user=None, role=None, at=None, **kwargs):
        actor = Actor(user=user, role=role or "system")
        with django_capture_on_commit_callbacks(execute=True):
            event = transition(dossier, action, actor, at=at, **kwargs)
        dossier.refresh_from_db()
        return event

    return run
