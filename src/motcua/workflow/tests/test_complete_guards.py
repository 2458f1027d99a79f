"""complete() without savepoints: refusals leave the caller's transaction usable and write
nothing; a task closed meanwhile (read before the dossier's lock was granted) is refused."""

import pytest
from django.db import transaction

from motcua.dossiers.models import DossierEvent, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed
from motcua.workflow import services
from motcua.workflow.models import Task
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    return dossier


def test_a_task_closed_meanwhile_is_refused_before_any_write(org, started):
    task = services.current_task(started)
    stale = Task.objects.select_related("step__definition").get(pk=task.pk)
    Task.objects.filter(pk=task.pk).update(status=Task.Status.DONE)  # another request finished it
    events = DossierEvent.objects.filter(dossier=started).count()
    with transaction.atomic():
        dossier = type(started).objects.select_for_update().get(pk=started.pk)
        with pytest.raises(TransitionNotAllowed, match="đã hoàn thành"):
            services._perform(stale, dossier, "forward", Actor(org.specialist, "specialist"), "")
    assert DossierEvent.objects.filter(dossier=started).count() == events
    assert Task.objects.filter(dossier=started).count() == 2  # reception + the closed one: no new task


def test_refusals_keep_the_callers_transaction_usable(org, started):
    task = services.current_task(started)
    with transaction.atomic():
        with pytest.raises(TransitionNotAllowed):
            services.complete(task, "approve", Actor(org.specialist, "specialist"))  # not this step's action
        with pytest.raises(TransitionNotAllowed):
            services.complete(task, "forward", Actor(org.leader, "leader"))  # not the step's role
        services.complete(task, "request_payment", Actor(org.specialist, "specialist"))
        with pytest.raises(TransitionNotAllowed, match="tạm dừng"):
            services.complete(task, "forward", Actor(org.specialist, "specialist"))  # paused
        assert type(started).objects.get(pk=started.pk).status == Status.PAYMENT_REQUESTED  # still usable


def test_accept_writes_its_deferred_update_when_the_workflow_existed(org, make_dossier):
    """accept_dossier leaves the row to the workflow start's transition; when the workflow had
    started already (no second transition), the acceptance is still written."""
    from motcua.office.services import accept_dossier
    from motcua.workflow.definitions import active_definition_for
    from motcua.workflow.models import DossierWorkflow

    dossier = make_dossier(status=Status.SUBMITTED)
    DossierWorkflow.objects.create(dossier=dossier, definition=active_definition_for(dossier), started_at=local(2026, 3, 2, 9))
    accept_dossier(dossier, Actor(org.receptionist, "reception", agency=org.desk))
    stored = type(dossier).objects.get(pk=dossier.pk)
    assert stored.status == Status.ACCEPTED and stored.received_at and stored.appointment_at
    assert (stored.status, stored.received_at) == (dossier.status, dossier.received_at)
