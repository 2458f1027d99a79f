"""Workflow definitions as data: validation, the default process, versions and the diagram layout."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from motcua.catalog.models import DurationUnit, ProcedureChannel
from motcua.organisations.models import Role
from motcua.core.prepared import Prepared
from motcua.workflow.models import (
    DossierWorkflow,
    StepAction,
    WorkflowDefinition,
    WorkflowStep,
    WorkflowStepTransition,
)

WORKING_DAY_HOURS = Decimal(8)
# Rough equivalents used only to compare step budgets with the legal time.
HOURS_PER_UNIT = {
    DurationUnit.WORKING_HOURS: Decimal(1),
    DurationUnit.HOURS: Decimal(1),
    DurationUnit.WORKING_DAYS: WORKING_DAY_HOURS,
    DurationUnit.DAYS: WORKING_DAY_HOURS,
    DurationUnit.MONTHS: WORKING_DAY_HOURS * 22,
}
# Actions that move the dossier along the graph (need a WorkflowStepTransition row).
ROUTING_ACTIONS = {StepAction.FORWARD, StepAction.RETURN, StepAction.APPROVE}

DEFAULT_NAME = "Quy trình mặc định"
DEFAULT_STEPS = [
    # code, name, role, at receiving agency, actions, start, end
    ("tiep_nhan", "Tiếp nhận hồ sơ", Role.RECEPTION, True, ["forward", "request_supplement", "refuse"], True, False),
    (
        "xu_ly",
        "Thẩm định, xử lý hồ sơ",
        Role.SPECIALIST,
        False,
        ["forward", "request_supplement", "request_payment", "transfer"],
        False,
        False,
    ),
    ("phe_duyet", "Phê duyệt kết quả", Role.LEADER, False, ["approve", "return", "stop"], False, False),
    ("tra_ket_qua", "Trả kết quả", Role.RECEPTION, True, ["request_payment"], False, True),
]
DEFAULT_TRANSITIONS = [
    ("tiep_nhan", "forward", "xu_ly"),
    ("xu_ly", "forward", "phe_duyet"),
    ("phe_duyet", "return", "xu_ly"),
    ("phe_duyet", "approve", "tra_ket_qua"),
]


def budget_hours(value, unit: str) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(value) * HOURS_PER_UNIT.get(unit or DurationUnit.WORKING_HOURS, Decimal(1))


def legal_hours(definition: WorkflowDefinition) -> Decimal | None:
    """The shortest legal time among the procedure's channels (for the definition's case), in hours."""
    if definition.procedure_id is None:
        return None
    rows = ProcedureChannel.objects.filter(procedure_id=definition.procedure_id, duration_value__isnull=False).exclude(
        duration_unit=""
    )
    if definition.case_id:
        rows = rows.filter(Q(case_id=definition.case_id) | Q(case__isnull=True))
    values = [budget_hours(r.duration_value, r.duration_unit) for r in rows]
    return min(values) if values else None


def _graph(definition):
    steps = {s.pk: s for s in definition.steps.all()}
    edges = list(
        WorkflowStepTransition.objects.filter(from_step__definition=definition).values_list(
            "from_step_id", "action", "to_step_id"
        )
    )
    return steps, edges


def validate_definition(definition: WorkflowDefinition) -> list[str]:
    """Problems of a definition, as Vietnamese messages (empty list = valid)."""
    steps, edges = _graph(definition)
    errors: list[str] = []
    if not steps:
        return ["Quy trình chưa có bước nào."]
    starts = [s for s in steps.values() if s.is_start]
    ends = [s for s in steps.values() if s.is_end]
    if len(starts) != 1:
        errors.append("Quy trình phải có đúng một bước bắt đầu.")
    if not ends:
        errors.append("Quy trình phải có ít nhất một bước kết thúc.")
    for step in steps.values():
        bad = [a for a in step.actions or [] if a not in StepAction.values]
        if bad:
            errors.append(f"Bước «{step.name}»: thao tác không hợp lệ {', '.join(map(str, bad))}.")
    outgoing: dict[int, list[tuple[str, int]]] = {pk: [] for pk in steps}
    for source, action, target in edges:
        outgoing[source].append((action, target))
        if action not in (steps[source].actions or []):
            errors.append(
                f"Bước «{steps[source].name}»: thao tác «{StepAction(action).label}» có chuyển bước nhưng chưa được cho phép."
            )
    for step in steps.values():
        for action in step.actions or []:
            if action in ROUTING_ACTIONS and not any(a == action for a, _ in outgoing[step.pk]):
                errors.append(f"Bước «{step.name}»: thao tác «{StepAction(action).label}» chưa có bước tiếp theo.")
    if len(starts) == 1:
        reached = _reachable(starts[0].pk, outgoing)
        for pk, step in steps.items():
            if pk not in reached:
                errors.append(f"Bước «{step.name}» không thể đến được từ bước bắt đầu.")
    if ends:
        incoming: dict[int, list[int]] = {pk: [] for pk in steps}
        for source, _, target in edges:
            incoming[target].append(source)
        can_finish: set[int] = set()
        frontier = [s.pk for s in ends]
        while frontier:
            pk = frontier.pop()
            if pk in can_finish:
                continue
            can_finish.add(pk)
            frontier.extend(incoming[pk])
        for pk, step in steps.items():
            if pk not in can_finish:
                errors.append(f"Từ bước «{step.name}» không có đường đến bước kết thúc.")
    legal = legal_hours(definition)
    if legal is not None and len(starts) == 1:
        longest = _longest_budget(starts[0].pk, steps, outgoing)
        if longest > legal:
            errors.append(
                f"Tổng thời hạn các bước ({_fmt(longest)} giờ làm việc) vượt thời hạn giải quyết theo quy định "
                f"({_fmt(legal)} giờ làm việc)."
            )
    return errors


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _reachable(start: int, outgoing) -> set[int]:
    seen, frontier = set(), [start]
    while frontier:
        pk = frontier.pop()
        if pk in seen:
            continue
        seen.add(pk)
        frontier.extend(t for _, t in outgoing[pk])
    return seen


def _longest_budget(start: int, steps, outgoing) -> Decimal:
    """Largest total budget over simple paths from the start, ignoring "return" edges (rework)."""
    best = Decimal(0)

    def walk(pk: int, visited: frozenset, total: Decimal, depth: int):
        nonlocal best
        step = steps[pk]
        total += budget_hours(step.budget_value, step.budget_unit)
        best = max(best, total)
        if depth > 50:
            return
        for action, target in outgoing[pk]:
            if action != StepAction.RETURN and target not in visited:
                walk(target, visited | {target}, total, depth + 1)

    walk(start, frozenset({start}), Decimal(0), 0)
    return best


@transaction.atomic
def create_default_definition() -> WorkflowDefinition:
    definition = WorkflowDefinition.objects.create(name=DEFAULT_NAME, procedure=None, version=1)
    by_code = {}
    for order, (code, name, role, at_desk, actions, start, end) in enumerate(DEFAULT_STEPS):
        by_code[code] = WorkflowStep.objects.create(
            definition=definition,
            code=code,
            name=name,
            role=role,
            at_receiving_agency=at_desk,
            actions=actions,
            is_start=start,
            is_end=end,
            order=order,
        )
    WorkflowStepTransition.objects.bulk_create(
        [WorkflowStepTransition(from_step=by_code[a], action=act, to_step=by_code[b]) for a, act, b in DEFAULT_TRANSITIONS]
    )
    bump_revision(definition.pk)  # bulk_create sends no signal
    definition.refresh_from_db(fields=["revision"])
    return definition


def default_definition() -> WorkflowDefinition:
    definition = (
        WorkflowDefinition.objects.filter(procedure__isnull=True, is_active=True).order_by("-version", "-id").first()
    )
    if definition is None:
        with transaction.atomic():
            # Serialise creation so two first dossiers do not create two defaults.
            definition = (
                WorkflowDefinition.objects.select_for_update()
                .filter(procedure__isnull=True, is_active=True)
                .order_by("-version", "-id")
                .first()
            ) or create_default_definition()
    return definition


def definition_for(dossier) -> WorkflowDefinition:
    """The definition a dossier follows: the one it started with, else the active one for its
    procedure and case, else the procedure's, else the default (created once)."""
    existing = DossierWorkflow.objects.filter(dossier_id=dossier.pk).select_related("definition").first()
    if existing is not None:
        return existing.definition
    return active_definition_for(dossier)


_active_definitions = Prepared(
    lambda procedure_id: WorkflowDefinition.objects.filter(
        Q(procedure_id=procedure_id) | Q(procedure__isnull=True), is_active=True
    ).order_by("-version", "-id"),
    (-424242,),
)


def active_definition_for(dossier) -> WorkflowDefinition:
    """The active definition for a dossier that has none yet: the procedure's for the dossier's
    case, else the procedure's without case, else the default. One query for all candidates."""
    candidates = _active_definitions.all(dossier.procedure_id)
    own = [d for d in candidates if d.procedure_id is not None and d.procedure_id == dossier.procedure_id]
    if dossier.case_id:
        found = next((d for d in own if d.case_id == dossier.case_id), None)
        if found is not None:
            return found
    found = next((d for d in own if d.case_id is None), None)
    if found is not None:
        return found
    return next((d for d in candidates if d.procedure_id is None), None) or default_definition()


# --- the graph, cached per process -------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    """Steps and step transitions of one definition revision. Shared between requests: read the
    step instances, never modify them."""

    steps: tuple  # WorkflowStep rows, definition order
    edges: dict  # (from step id, action) -> to step id

    @property
    def start(self) -> WorkflowStep | None:
        return next((s for s in self.steps if s.is_start), self.steps[0] if self.steps else None)

    def step(self, pk: int) -> WorkflowStep | None:
        return next((s for s in self.steps if s.pk == pk), None)

    def next(self, step_id: int, action: str) -> WorkflowStep | None:
        target = self.edges.get((step_id, action))
        return self.step(target) if target is not None else None


_GRAPHS_MAX = 2000
_graphs: dict[int, tuple[tuple, Graph]] = {}


def graph(definition: WorkflowDefinition) -> Graph:
    """The graph of ``definition`` at its ``revision`` (two queries on a miss, none on a hit).

    Correct across processes: every change of a step or a step transition bumps the definition's
    ``revision`` in the database (signals below, and explicitly after bulk inserts), and the
    caller's definition row carries the revision it read. Code changing steps or transitions
    with queryset ``update()``/``bulk_create`` (no signals) must call :func:`bump_revision`.
    """
    key = (definition.revision, definition.created_at)  # created_at: SQLite may reuse a rolled-back id
    hit = _graphs.get(definition.pk)
    if hit is not None and hit[0] == key:
        return hit[1]
    steps = tuple(WorkflowStep.objects.filter(definition_id=definition.pk).order_by("order", "id"))
    edges = {
        (source, action): target
        for source, action, target in WorkflowStepTransition.objects.filter(
            from_step__definition_id=definition.pk
        ).values_list("from_step_id", "action", "to_step_id")
    }
    value = Graph(steps=steps, edges=edges)
    if len(_graphs) >= _GRAPHS_MAX:
        _graphs.clear()
    _graphs[definition.pk] = (key, value)
    return value


def bump_revision(definition_id) -> None:
    """Mark the definition's graph changed (for every process) and forget it in this one."""
    from django.db.models import F

    _graphs.pop(definition_id, None)
    WorkflowDefinition.objects.filter(pk=definition_id).update(revision=F("revision") + 1)


def _step_changed(sender, instance, **kwargs) -> None:
    bump_revision(instance.definition_id)


def _edge_changed(sender, instance, **kwargs) -> None:
    definition_id = WorkflowStep.objects.filter(pk=instance.from_step_id).values_list("definition_id", flat=True).first()
    if definition_id is not None:
        bump_revision(definition_id)
    else:  # the step is gone with its definition: nothing to read any more
        _graphs.clear()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    for signal in (post_save, post_delete):
        signal.connect(_step_changed, sender=WorkflowStep, dispatch_uid=f"workflow.graph.step.{signal is post_save}")
        signal.connect(_edge_changed, sender=WorkflowStepTransition, dispatch_uid=f"workflow.graph.edge.{signal is post_save}")


@transaction.atomic
def new_version(definition: WorkflowDefinition) -> WorkflowDefinition:
    """Copy a definition (steps and transitions) as the next version; the copy becomes the active one."""
    latest = (
        WorkflowDefinition.objects.filter(procedure_id=definition.procedure_id, case_id=definition.case_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    ) or definition.version
    copy = WorkflowDefinition.objects.create(
        procedure_id=definition.procedure_id,
        case_id=definition.case_id,
        name=definition.name,
        version=latest + 1,
        is_active=True,
    )
    mapping = {}
    for step in definition.steps.all():
        old_pk = step.pk
        step.pk = None
        step.id = None
        step.definition = copy
        step.save()
        mapping[old_pk] = step
    WorkflowStepTransition.objects.bulk_create(
        [
            WorkflowStepTransition(from_step=mapping[t.from_step_id], action=t.action, to_step=mapping[t.to_step_id])
            for t in WorkflowStepTransition.objects.filter(from_step__definition=definition)
        ]
    )
    WorkflowDefinition.objects.filter(
        procedure_id=definition.procedure_id, case_id=definition.case_id, is_active=True
    ).exclude(pk=copy.pk).update(is_active=False)
    bump_revision(copy.pk)  # bulk_create sends no signal
    copy.refresh_from_db(fields=["revision"])
    return copy


def editable_definition(definition: WorkflowDefinition) -> WorkflowDefinition:
    """The definition to edit: itself while no dossier uses it, else a new version."""
    return new_version(definition) if definition.is_used else definition


# --- diagram ---------------------------------------------------------------------------------


@dataclass
class Box:
    step: WorkflowStep
    x: int
    y: int
    width: int
    height: int

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


@dataclass
class Arrow:
    path: str
    label: str
    label_x: int
    label_y: int
    back: bool


def diagram(definition: WorkflowDefinition) -> dict:
    """Server-side layout of the process: steps in rows by depth, forward arrows straight down,
    return arrows curving on the right. Returns boxes, arrows and the SVG size."""
    steps, edges = _graph(definition)
    outgoing: dict[int, list[tuple[str, int]]] = {pk: [] for pk in steps}
    for source, action, target in edges:
        outgoing[source].append((action, target))
    ordered = sorted(steps.values(), key=lambda s: (not s.is_start, s.order, s.pk))
    # Depth: longest distance from the start over forward edges (DFS order breaks cycles).
    depth: dict[int, int] = {}
    roots = [s.pk for s in ordered if s.is_start] or ([ordered[0].pk] if ordered else [])
    for root in roots:
        depth.setdefault(root, 0)
    changed, guard = True, 0
    while changed and guard < len(steps) + 2:
        changed, guard = False, guard + 1
        for source, action, target in edges:
            if action == StepAction.RETURN or source not in depth or source == target:
                continue
            if depth.get(target, -1) < depth[source] + 1 and depth[source] + 1 <= len(steps):
                depth[target] = depth[source] + 1
                changed = True
    next_row = max(depth.values(), default=-1) + 1
    for step in ordered:
        if step.pk not in depth:
            depth[step.pk] = next_row
            next_row += 1
    width, height, gap_x, gap_y, margin, right_room = 220, 60, 30, 70, 20, 120
    rows: dict[int, list[WorkflowStep]] = {}
    for step in ordered:
        rows.setdefault(depth[step.pk], []).append(step)
    widest = max((len(r) for r in rows.values()), default=1)
    canvas_w = margin * 2 + widest * width + (widest - 1) * gap_x + right_room
    boxes: dict[int, Box] = {}
    for row, members in sorted(rows.items()):
        row_w = len(members) * width + (len(members) - 1) * gap_x
        left = margin + (widest * width + (widest - 1) * gap_x - row_w) // 2
        for i, step in enumerate(members):
            boxes[step.pk] = Box(step, left + i * (width + gap_x), margin + row * (height + gap_y), width, height)
    arrows = []
    for source, action, target in edges:
        a, b = boxes[source], boxes[target]
        label = StepAction(action).label
        if b.y > a.y:
            x1, y1, x2, y2 = a.cx, a.y + a.height, b.cx, b.y - 4
            path = f"M{x1},{y1} C{x1},{(y1 + y2) // 2} {x2},{(y1 + y2) // 2} {x2},{y2}"
            arrows.append(Arrow(path, label, (x1 + x2) // 2 + 6, (y1 + y2) // 2, False))
        else:
            x1, y1 = a.x + a.width, a.y + a.height // 2
            x2, y2 = b.x + b.width + 4, b.y + b.height // 2
            bulge = max(x1, x2) + 60 + abs(y1 - y2) // 6
            path = f"M{x1},{y1} C{bulge},{y1} {bulge},{y2} {x2},{y2}"
            arrows.append(Arrow(path, label, bulge - 30, (y1 + y2) // 2, True))
    canvas_h = margin * 2 + (max(rows, default=0) + 1) * (height + gap_y) - gap_y
    return {"boxes": list(boxes.values()), "arrows": arrows, "width": canvas_w, "height": canvas_h}
