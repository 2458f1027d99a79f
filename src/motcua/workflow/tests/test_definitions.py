"""Workflow definitions: validation messages, default process, versions, diagram page, admin."""

import pytest
from django.utils import timezone

from motcua.workflow import calendar as cal, definitions, services
from motcua.workflow.models import DossierWorkflow, WorkflowDefinition, WorkflowStep, WorkflowStepTransition
from motcua.workflow.tests.conftest import local

pytestmark = pytest.mark.django_db


def make_definition(procedure, steps, edges, **kw):
    d = WorkflowDefinition.objects.create(procedure=procedure, name="Quy trình thử", **kw)
    by = {}
    for i, (code, role, actions, budget, start, end) in enumerate(steps):
        by[code] = WorkflowStep.objects.create(
            definition=d, code=code, name=code.upper(), role=role, actions=actions, budget_value=budget,
            budget_unit="working_days", is_start=start, is_end=end, order=i,
        )
    for a, action, b in edges:
        WorkflowStepTransition.objects.create(from_step=by[a], action=action, to_step=by[b])
    return d


def test_default_definition_is_valid_and_created_once(org, make_dossier):
    d1 = definitions.definition_for(make_dossier())
    d2 = definitions.definition_for(make_dossier())
    assert d1 == d2 and WorkflowDefinition.objects.count() == 1
    assert definitions.validate_definition(d1) == []
    assert [s.code for s in d1.steps.all()] == ["tiep_nhan", "xu_ly", "phe_duyet", "tra_ket_qua"]


def test_validation_messages(org):
    d = make_definition(
        org.procedure,
        [
            ("a", "reception", ["forward"], None, True, False),
            ("b", "specialist", ["forward"], 2, False, False),  # forward goes nowhere
            ("c", "leader", ["approve"], 2, False, True),  # unreachable
            ("d", "specialist", [], None, False, False),  # dead end, unreachable
        ],
        [("a", "forward", "b"), ("c", "approve", "c")],
    )
    problems = definitions.validate_definition(d)
    assert "Bước «B»: thao tác «Chuyển bước tiếp theo» chưa có bước tiếp theo." in problems
    assert "Bước «C» không thể đến được từ bước bắt đầu." in problems
    assert "Từ bước «A» không có đường đến bước kết thúc." in problems
    assert "Từ bước «D» không có đường đến bước kết thúc." in problems
    empty = WorkflowDefinition.objects.create(name="Rỗng")
    assert definitions.validate_definition(empty) == ["Quy trình chưa có bước nào."]


def test_budget_along_longest_path_within_legal_time(org):
    # Legal time: 1 working day at the counter (the shortest channel) = 8 h.
    steps = [
        ("a", "reception", ["forward"], None, True, False),
        ("b", "specialist", ["forward"], 0.5, False, False),
        ("c", "leader", ["approve", "return"], 0.5, False, False),
        ("d", "reception", [], None, False, True),
    ]
    edges = [("a", "forward", "b"), ("b", "forward", "c"), ("c", "return", "b"), ("c", "approve", "d")]
    ok = make_definition(org.procedure, steps, edges)
    assert definitions.validate_definition(ok) == []
    steps[1] = ("b", "specialist", ["forward"], 1, False, False)
    too_long = make_definition(org.procedure, steps, edges, version=2)
    assert definitions.validate_definition(too_long) == [
        "Tổng thời hạn các bước (12 giờ làm việc) vượt thời hạn giải quyết theo quy định (8 giờ làm việc)."
    ]


def test_procedure_definition_is_used_and_version_kept(org, make_dossier, act):
    steps = [
        ("nhan", "reception", ["forward"], None, True, False),
        ("xl", "specialist", ["approve"], 0.5, False, False),
        ("tra", "reception", [], None, False, True),
    ]
    d = make_definition(org.procedure, steps, [("nhan", "forward", "xl"), ("xl", "approve", "tra")])
    dossier = make_dossier(received_at=timezone.now())
    act(dossier, "accept", org.receptionist, "reception")
    assert DossierWorkflow.objects.get(dossier=dossier).definition == d
    task = services.current_task(dossier)
    assert task.step.code == "xl"
    # The step's budget (half a working day) counts from when the task started.
    assert task.due_at == cal.add_working_time(task.started_at, "0.5", "working_days")
    assert d.is_used
    v2 = definitions.editable_definition(d)
    assert v2.pk != d.pk and v2.version == 2 and v2.is_active
    d.refresh_from_db()
    assert not d.is_active
    assert [s.code for s in v2.steps.all()] == ["nhan", "xl", "tra"]
    assert WorkflowStepTransition.objects.filter(from_step__definition=v2).count() == 2
    # The dossier keeps its version; new dossiers get v2.
    assert definitions.definition_for(dossier) == d
    assert definitions.definition_for(make_dossier()) == v2
    assert definitions.editable_definition(v2) == v2  # unused: edited in place


def test_diagram_page(client, org):
    d = definitions.default_definition()
    url = f"/quy-trinh/{d.pk}/"
    assert client.get(url).status_code == 302  # login first
    from motcua.accounts.models import User

    citizen = User.objects.create_user(username="dan", password="x" * 12)
    client.force_login(citizen)
    assert client.get(url).status_code == 403
    client.force_login(org.specialist)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<rect") == 4 and body.count("marker-end") == 4
    assert "Phê duyệt kết quả" in body and "stroke-dasharray" in body  # the return arrow
    assert client.get("/quy-trinh/999999/").status_code == 404


def test_admin_validates_and_links_diagram(admin_client, org):
    d = definitions.default_definition()
    listing = admin_client.get("/quan-tri/workflow/workflowdefinition/")
    assert f"/quy-trinh/{d.pk}/" in listing.content.decode()
    response = admin_client.post(
        "/quan-tri/workflow/workflowdefinition/add/",
        {
            "name": "Một bước",
            "is_active": "on",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-code": "x",
            "steps-0-name": "Xử lý",
            "steps-0-role": "specialist",
            "steps-0-budget_unit": "working_hours",
            "steps-0-actions": '["forward"]',
            "steps-0-is_start": "on",
            "steps-0-order": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    created = WorkflowDefinition.objects.get(name="Một bước")
    assert not created.is_active  # invalid (no end step) so not applied
    assert "Quy trình chưa hợp lệ" in response.content.decode()
