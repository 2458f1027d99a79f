"""transition()'s UPDATE and event INSERT, compiled once per process: the same rows and signals as
Model.save()."""

import pytest
from django.db import DatabaseError
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierEvent, Status
from motcua.dossiers.services import Actor, insert_event, save_fields, transition
from motcua.dossiers.submission import submit

pytestmark = pytest.mark.django_db


def test_transition_rows_and_signals(complete_draft, citizen, agencies):
    submit(complete_draft, citizen)
    seen = []

    def note(sender, instance, **kwargs):
        seen.append((sender.__name__, kwargs.get("created"), sorted(kwargs.get("update_fields") or [])))

    pre_save.connect(note, dispatch_uid="t.pre"), post_save.connect(note, dispatch_uid="t.post")
    try:
        before = Dossier.objects.get(pk=complete_draft.pk).updated_at
        event = transition(complete_draft, "request_supplement", Actor(None, "reception", agency=agencies[0],
                           client_address="192.0.2.7"), note="Bản chụp mờ", data={"items": [{"name": "Tờ khai"}]})
    finally:
        pre_save.disconnect(dispatch_uid="t.pre"), post_save.disconnect(dispatch_uid="t.post")
    stored = Dossier.objects.get(pk=complete_draft.pk)
    assert (stored.status, stored.paused_from_status, stored.supplement_count) == (Status.SUPPLEMENT_REQUESTED, Status.SUBMITTED, 1)
    assert stored.paused_at == event.at and stored.updated_at > before
    assert stored.updated_at == complete_draft.updated_at  # the instance holds what was written
    row = DossierEvent.objects.get(pk=event.pk)
    assert (row.action, row.from_status, row.to_status, row.note, row.client_address, row.agency_id) == (
        "request_supplement", Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED, "Bản chụp mờ", "192.0.2.7", agencies[0].pk)
    assert row.data == {"items": [{"name": "Tờ khai"}]} and row.at == event.at and not event._state.adding
    fields = ["paused_at", "paused_from_status", "status", "supplement_count", "updated_at"]
    # Each row's pre_save then post_save (on PostgreSQL both rows are written by one statement,
    # so both pre_save signals come before it).
    assert [s for s in seen if s[0] == "Dossier"] == [("Dossier", None, fields), ("Dossier", False, fields)]
    assert [s for s in seen if s[0] == "DossierEvent"] == [("DossierEvent", None, []), ("DossierEvent", True, [])]
    assert len(seen) == 4


def test_update_and_event_in_one_statement_refuse_a_missing_row(complete_draft):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from motcua.core.statements import save_fields_and_insert

    gone = Dossier(pk=complete_draft.pk + 1000, status=Status.SUBMITTED)
    event = DossierEvent(dossier=gone, action="note", from_status=0, to_status=0, actor_role="system", at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        save_fields_and_insert(gone, {"status"}, event)
    assert not DossierEvent.objects.filter(dossier_id=gone.pk).exists()
    complete_draft.status = Status.SUBMITTED
    event = DossierEvent(dossier=complete_draft, action="note", from_status=0, to_status=1, actor_role="system",
                         at=timezone.now())
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        save_fields_and_insert(complete_draft, {"status"}, event)
    statements = [q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert Dossier.objects.get(pk=complete_draft.pk).status == Status.SUBMITTED
    assert DossierEvent.objects.get(pk=event.pk).to_status == 1


def test_save_fields_refuses_a_missing_row(complete_draft):
    gone = Dossier(pk=complete_draft.pk + 1000, status=Status.DRAFT)
    with pytest.raises(DatabaseError):
        save_fields(gone, {"status"})


def test_insert_event_is_append_only(complete_draft):
    event = insert_event(DossierEvent(dossier=complete_draft, action="note", from_status=0, to_status=0,
                                      actor_role="system", at=timezone.now()))
    assert DossierEvent.objects.filter(pk=event.pk).exists()
    with pytest.raises(ValueError):
        event.save()


def test_lock_reads_the_row_as_the_queryset_does(complete_draft, citizen):
    from motcua.dossiers.services import lock

    submit(complete_draft, citizen)
    Dossier.objects.filter(pk=complete_draft.pk).update(form_data={"child_name": "NGUYỄN AN"})
    mine, theirs = lock(Dossier(pk=complete_draft.pk)), Dossier.objects.get(pk=complete_draft.pk)
    assert [getattr(mine, f.attname) for f in Dossier._meta.concrete_fields] == [
        getattr(theirs, f.attname) for f in Dossier._meta.concrete_fields
    ]
    assert mine.form_data == {"child_name": "NGUYỄN AN"} and not mine._state.adding
    with pytest.raises(Dossier.DoesNotExist):
        lock(Dossier(pk=complete_draft.pk + 1000))
