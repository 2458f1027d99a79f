"""The per-process cache of workflow graphs (steps and step transitions) and its invalidation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.workflow import definitions
from motcua.workflow.models import WorkflowDefinition, WorkflowStep, WorkflowStepTransition
from motcua.workflow.tests.test_definitions import make_definition

pytestmark = pytest.mark.django_db

STEPS = [
    ("a", "reception", ["forward"], None, True, False),
    ("b", "specialist", ["forward"], 1, False, False),
    ("c", "leader", ["approve"], 1, False, True),
]


def fresh(definition) -> WorkflowDefinition:
    return WorkflowDefinition.objects.get(pk=definition.pk)


def test_graph_is_read_once_per_revision(org):
    d = fresh(make_definition(org.procedure, STEPS, [("a", "forward", "b"), ("b", "forward", "c")]))
    first = definitions.graph(d)
    assert [s.code for s in first.steps] == ["a", "b", "c"] and first.start.code == "a"
    assert first.next(first.start.pk, "forward").code == "b"
    with CaptureQueriesContext(connection) as queries:
        assert definitions.graph(fresh(d)) is first
    assert len(queries) == 1  # the definition row only


def test_a_change_in_another_process_is_seen_through_the_revision(org):
    d = fresh(make_definition(org.procedure, STEPS, [("a", "forward", "b"), ("b", "forward", "c")]))
    old = definitions.graph(d)
    stale_key = definitions._graphs[d.pk][0]
    b, c = WorkflowStep.objects.get(definition=d, code="b"), WorkflowStep.objects.get(definition=d, code="c")
    WorkflowStepTransition.objects.filter(from_step=b).delete()  # queryset delete: a signal per row
    WorkflowStepTransition.objects.create(from_step=b, action="forward", to_step=b)
    # This process forgot it; another process still holds the old graph under the old key.
    definitions._graphs[d.pk] = (stale_key, old)
    current = fresh(d)
    assert current.revision > d.revision
    assert definitions.graph(current).next(b.pk, "forward") == b
    c.name = "Lãnh đạo ký"
    c.save()
    assert definitions.graph(fresh(d)).step(c.pk).name == "Lãnh đạo ký"


def test_bulk_inserts_bump_the_revision(org):
    d = fresh(make_definition(org.procedure, STEPS, [("a", "forward", "b"), ("b", "forward", "c")]))
    definitions.graph(d)
    copy = definitions.new_version(d)  # transitions copied with bulk_create (no signal)
    graph = definitions.graph(fresh(copy))
    assert {s.definition_id for s in graph.steps} == {copy.pk} and len(graph.edges) == 2
    default = definitions.create_default_definition()
    assert len(definitions.graph(fresh(default)).edges) == 4
