"""Random action sequences (hypothesis): the status is always valid, every change is audited in an
unbroken chain of events, refused actions change nothing, tasks follow the dossier."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from motcua.dossiers.models import FINAL_STATUSES, Dossier, DossierEvent, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed, transition
from motcua.dossiers.transitions import RESUME, TRANSITIONS
from motcua.workflow import services
from motcua.workflow.models import StepAction, Task

pytestmark = pytest.mark.django_db

DOSSIER_ACTIONS = [a for a in TRANSITIONS if a != "submit"]
TASK_ACTIONS = [f"task:{a}" for a in StepAction.values if a != "transfer"] + ["task:transfer", "claim"]


def check_invariants(dossier: Dossier, initial: int) -> None:
    dossier.refresh_from_db()
    assert dossier.status in Status.values
    chain = list(
        DossierEvent.objects.filter(dossier=dossier).order_by("id").values_list("action", "from_status", "to_status")
    )
    status = initial
    for action, source, target in chain:
        assert source == status, (chain, action)
        if action in TRANSITIONS:
            assert source in TRANSITIONS[action].sources
        else:  # hand-overs and apologies never change the status
            assert source == target
        status = target
    assert status == dossier.status
    active = Task.objects.filter(dossier=dossier, status__in=["open", "claimed"]).count()
    assert active <= 1
    if dossier.status in FINAL_STATUSES:
        assert active == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(DOSSIER_ACTIONS + TASK_ACTIONS), min_size=1, max_size=14))
def test_random_sequences_keep_status_valid_and_audited(org, make_dossier, django_capture_on_commit_callbacks, steps):
    initial = Status.SUBMITTED
    from hypothesis import note

    note(repr(steps))
    dossier = make_dossier(status=initial)
    users = {"reception": org.receptionist, "specialist": org.specialist, "leader": org.leader}
    for step in steps:
        before = Dossier.objects.get(pk=dossier.pk)
        events_before = DossierEvent.objects.filter(dossier=dossier).count()
        if step in TRANSITIONS:
            spec = TRANSITIONS[step]
            role = spec.roles[0]
            allowed = before.status in spec.sources
            try:
                with django_capture_on_commit_callbacks(execute=True):
                    # transition() refreshes the instance it is given: pass a copy, keep `before` as it was.
                    transition(Dossier.objects.get(pk=dossier.pk), step, Actor(user=users.get(role), role=role))
                ok = True
            except TransitionNotAllowed:
                ok = False
            assert ok == allowed, (step, before.status)
            after = Dossier.objects.get(pk=dossier.pk)
            if ok:
                expected = spec.target if spec.target != RESUME else (before.paused_from_status or Status.PROCESSING)
                # Accepting also starts the workflow (start_processing), in the same audit chain.
                if step in ("accept", "receive_at_counter"):
                    expected = Status.PROCESSING
                assert after.status == expected
                assert DossierEvent.objects.filter(dossier=dossier).count() > events_before
            else:
                assert after.status == before.status
                assert DossierEvent.objects.filter(dossier=dossier).count() == events_before
        else:
            task = services.current_task(before)
            if task is None:
                continue
            user = users[task.step.role]
            try:
                with django_capture_on_commit_callbacks(execute=True):
                    if step == "claim":
                        services.claim(task, user)
                    else:
                        action = step.split(":", 1)[1]
                        services.complete(task, action, user, note="Thử", target_agency=org.other)
            except TransitionNotAllowed:
                after = Dossier.objects.get(pk=dossier.pk)
                assert after.status == before.status
                assert DossierEvent.objects.filter(dossier=dossier).count() == events_before
        check_invariants(dossier, initial)
