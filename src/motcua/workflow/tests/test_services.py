"""Tasks: the default process end to end, claims, assignment, liên thông, inbox, permissions."""

import pytest

from motcua.dossiers.models import DossierEvent, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed
from motcua.workflow import services
from motcua.workflow.models import AgencyHolding, DossierWorkflow, Task
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(org, make_dossier, act):
    dossier = make_dossier(received_at=local(2026, 3, 2, 9))
    act(dossier, "accept", org.receptionist, "reception", at=local(2026, 3, 2, 9))
    return dossier


def test_default_process_end_to_end(org, started, act, django_capture_on_commit_callbacks):
    dossier = started
    workflow = DossierWorkflow.objects.get(dossier=dossier)
    assert workflow.definition.procedure is None and workflow.definition.version == 1
    reception = Task.objects.get(dossier=dossier, step__code="tiep_nhan")
    assert reception.status == "done" and reception.assignee == org.receptionist and reception.agency == org.desk
    task = services.current_task(dossier)
    assert (task.step.code, task.agency, task.status) == ("xu_ly", org.commune, "open")
    assert dossier.current_agency == org.commune and dossier.status == Status.PROCESSING
    # Idempotent start.
    assert services.start_workflow(dossier, org.receptionist) == task

    task = services.claim(task, org.specialist)
    with pytest.raises(TransitionNotAllowed, match="đã được cán bộ khác nhận"):
        services.claim(task, org.specialist2)
    with pytest.raises(TransitionNotAllowed, match="cán bộ khác"):
        services.complete(task, "forward", Actor(user=org.specialist2, role="specialist"))
    with pytest.raises(TransitionNotAllowed, match="không được phép"):
        services.complete(task, "approve", Actor(user=org.specialist, role="specialist"))

    leader_task = services.complete(task, "forward", Actor(user=org.specialist, role="specialist"), note="Đủ điều kiện")
    assert leader_task.step.code == "phe_duyet"
    with pytest.raises(TransitionNotAllowed) as denied:
        services.complete(leader_task, "approve", Actor(user=org.specialist, role="specialist"))
    assert denied.value.forbidden
    back = services.complete(leader_task, "return", org.leader, note="Bổ sung trích yếu")
    assert back.step.code == "xu_ly" and back.assignee is None
    again = services.complete(services.claim(back, org.specialist), "forward", org.specialist)
    with django_capture_on_commit_callbacks(execute=True):
        desk_task = services.complete(again, "approve", org.leader)
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED and dossier.timeliness in ("early", "on_time", "late")
    assert (desk_task.step.code, desk_task.agency) == ("tra_ket_qua", org.desk)
    assert dossier.current_agency == org.desk
    act(dossier, "return_result", org.receptionist, "reception")
    assert not Task.objects.filter(dossier=dossier, status__in=["open", "claimed"]).exists()
    assert DossierWorkflow.objects.get(dossier=dossier).finished_at is not None
    actions = list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions == ["accept", "start_processing", "forward", "return", "forward", "approve", "return_result"]


def test_pause_from_a_task_keeps_it_open(org, started, act):
    task = services.claim(services.current_task(started), org.specialist)
    same = services.complete(task, "request_supplement", org.specialist, note="Thiếu giấy chứng sinh")
    assert same.pk == task.pk
    started.refresh_from_db()
    assert started.status == Status.SUPPLEMENT_REQUESTED
    with pytest.raises(TransitionNotAllowed, match="tạm dừng"):
        services.complete(task, "forward", org.specialist)


def test_assign_requires_a_leader_and_the_right_role(org, started):
    task = services.current_task(started)
    with pytest.raises(TransitionNotAllowed) as denied:
        services.assign(task, org.specialist2, org.specialist)
    assert denied.value.forbidden
    with pytest.raises(TransitionNotAllowed, match="không có vai trò"):
        services.assign(task, org.leader, org.leader)
    task = services.assign(task, org.specialist2, org.leader)
    assert task.assignee == org.specialist2 and task.status == "claimed"
    task = services.assign(task, org.specialist, org.leader)  # reassign
    assert task.assignee == org.specialist


def test_transfer_and_back_attributes_holding_time(org, started):
    task = services.claim(services.current_task(started), org.specialist)
    with pytest.raises(TransitionNotAllowed, match="nội dung"):
        services.transfer(started, org.other, org.specialist, "")
    sub = services.complete(task, "transfer", org.specialist, note="Đề nghị xác minh", target_agency=org.other)
    assert sub.agency == org.other and sub.returns_to_id == task.pk
    started.refresh_from_db()
    assert started.current_agency == org.other
    assert services.can_act(org.other_specialist, started)
    assert list(services.inbox(org.other, org.other_specialist)) == [sub]
    back = services.complete(services.claim(sub, org.other_specialist), "forward", org.other_specialist, note="Đã xác minh")
    assert (back.agency, back.step.code) == (org.commune, "xu_ly")
    holdings = list(AgencyHolding.objects.filter(dossier=started).values_list("agency__code", "ended_at"))
    assert [h[0] for h in holdings] == [org.desk.code, org.commune.code, org.other.code, org.commune.code]
    assert all(end is not None for _, end in holdings[:-1]) and holdings[-1][1] is None
    report = {r["agency"].code: r["working_seconds"] for r in services.holding_report(started)}
    assert set(report) == {org.desk.code, org.commune.code, org.other.code}
    assert DossierEvent.objects.filter(dossier=started, action="transfer").count() == 1


def test_inbox_sorting_filters_and_query_count(org, make_dossier, act, django_assert_max_num_queries):
    dossiers = []
    for day in (4, 2, 3):
        d = make_dossier(received_at=local(2026, 3, day, 9))
        act(d, "accept", org.receptionist, "reception", at=local(2026, 3, day, 9))
        dossiers.append(d)
    rows = list(services.inbox(org.commune))
    assert [t.dossier_id for t in rows] == [dossiers[1].pk, dossiers[2].pk, dossiers[0].pk]
    services.claim(rows[0], org.specialist)
    assert [t.pk for t in services.inbox(org.commune, org.specialist, mine=True)] == [rows[0].pk]
    assert list(services.inbox(org.commune, org.leader)) == rows  # a leader sees every step
    assert list(services.inbox(org.desk)) == []
    assert services.inbox(org.commune, status="claimed").count() == 1
    with django_assert_max_num_queries(2):
        page = list(services.inbox(org.commune, org.specialist)[:50])
        [(t.dossier.code, t.dossier.procedure.name, t.step.name, t.assignee) for t in page]
    assert services.time_left(rows[0], now=local(2026, 3, 5, 8, 30)) == 30 * 60
    assert services.time_left(rows[1], now=local(2026, 3, 5, 9)) == 8 * 3600
    assert services.time_left(rows[1], now=local(2026, 3, 9, 9)) == -8 * 3600


def test_can_act(org, started):
    assert services.can_act(org.receptionist, started)
    assert services.can_act(org.specialist, started)
    assert not services.can_act(org.outsider, started)
    from django.contrib.auth.models import AnonymousUser

    assert not services.can_act(AnonymousUser(), started)


def test_start_workflow_refuses_unaccepted(org, make_dossier):
    with pytest.raises(TransitionNotAllowed, match="Mới đăng ký"):
        services.start_workflow(make_dossier(status=1), org.receptionist)


def test_hand_over_events_name_the_receiver(org, started):
    task = services.claim(services.current_task(started), org.specialist)
    services.complete(task, "forward", org.specialist)
    event = DossierEvent.objects.filter(dossier=started, action="forward").get()
    assert event.data["to_agency_name"] == org.commune.name and event.data["to_step_name"] == "Phê duyệt kết quả"
    assert event.actor == org.specialist and event.actor_role == "specialist"
