"""Prepared querysets: compiled once, the same instances as the queryset."""

import pytest

from motcua.workflow import services
from motcua.workflow.models import Task
from motcua.core.prepared import Prepared
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


def _same(a, b, related=True):
    assert type(a) is type(b) and a.pk == b.pk
    for field in type(a)._meta.concrete_fields:
        assert getattr(a, field.attname) == getattr(b, field.attname), field.attname
    if related:
        assert a._state.fields_cache.keys() == b._state.fields_cache.keys()
    assert not b._state.adding and b._state.db == a._state.db


def test_current_task_as_the_queryset_gives_it(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    assert services.current_task(dossier) is None
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    task = services.claim(services.current_task(dossier), org.specialist)
    queryset = (
        Task.objects.filter(dossier=dossier, status__in=services.ACTIVE)
        .select_related("step", "agency", "assignee")
        .order_by("-started_at", "-id")
        .first()
    )
    prepared = services.current_task(dossier)
    _same(queryset, prepared)
    _same(queryset.step, prepared.step)
    _same(queryset.agency, prepared.agency)
    _same(queryset.assignee, prepared.assignee)
    assert prepared.assignee == org.specialist and task.pk == prepared.pk


def test_placeholders_must_appear_once(org):
    twice = Prepared(lambda a: Task.objects.filter(dossier_id=a, agency_id=a), (-7,))
    with pytest.raises(ValueError, match="found 2 times"):
        twice.first(1)
    missing = Prepared(lambda a: Task.objects.all(), (-7,))
    with pytest.raises(ValueError, match="found 0 times"):
        missing.first(1)


def test_insert_writes_the_row_save_would(org, make_dossier, act):
    from django.db.models.signals import post_save

    from motcua.core.statements import insert

    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    step = services.current_task(dossier).step
    sent = []
    post_save.connect(lambda sender, instance, created=None, **kw: sent.append(created), sender=Task,
                      dispatch_uid="t.insert", weak=False)
    try:
        task = insert(Task(dossier=dossier, step=step, agency=org.commune, status="open",
                           started_at=local(2026, 3, 3, 9), due_at=local(2026, 3, 4, 9), note="Thử"))
    finally:
        post_save.disconnect(sender=Task, dispatch_uid="t.insert")
    _same(Task.objects.get(pk=task.pk), task, related=False)
    assert sent == [True] and task.agency == org.commune


def test_insert_several_rows_in_one_statement(org, make_dossier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.workflow.models import AgencyHolding
    from motcua.core.statements import insert

    dossier = make_dossier()
    rows = [AgencyHolding(dossier=dossier, agency=agency, started_at=local(2026, 3, 2, 9 + i), reason=f"Lần {i}")
            for i, agency in enumerate((org.desk, org.commune, org.other))]
    with CaptureQueriesContext(connection) as queries:
        assert insert(*rows) is rows[0]
    assert len(queries) == 1
    stored = {h.pk: h for h in AgencyHolding.objects.filter(dossier=dossier)}
    assert sorted(stored) == sorted(r.pk for r in rows)
    for row in rows:
        _same(stored[row.pk], row, related=False)
