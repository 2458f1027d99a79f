"""Work on dossiers: tasks per workflow step, claiming, hand-overs, inter-agency transfers, inboxes.

Status changes go through :func:`motcua.dossiers.services.transition`; hand-overs that keep the
status (forward, return, transfer) write their own ``DossierEvent`` so the control slip can be
generated from the history. Errors raise ``TransitionNotAllowed`` (``forbidden=True`` → 403,
otherwise 409) with a Vietnamese message.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from motcua.core.text import nfc
from motcua.dossiers.models import FINAL_STATUSES, Dossier, DossierEvent, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed, check_transition, insert_event, transition
from motcua.organisations.models import Role, StaffRole
from motcua.workflow import calendar as cal
from motcua.workflow.definitions import active_definition_for, graph
from motcua.workflow.models import AgencyHolding, DossierWorkflow, StepAction, Task, WorkflowStep
from motcua.core.statements import insert
from motcua.core.prepared import Prepared

ACTIVE = (Task.Status.OPEN, Task.Status.CLAIMED)
SUPERVISORS = (Role.LEADER, Role.AGENCY_ADMIN)
PAUSED = (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED)


def _as_actor(actor, role: str | None = None, agency=None) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if actor is None:
        return Actor(role="system", agency=agency)
    return Actor(user=actor, role=role or "system", agency=agency)


def _user_roles(user, agency_id) -> set[str]:
    if user is None or not getattr(user, "pk", None):
        return set()
    loaded = getattr(user, "_office_roles", None)  # the request's roles, once the office loaded them
    if loaded is not None:
        return {r.role for r in loaded if r.agency_id == agency_id}
    with connection.cursor() as cursor:  # the queryset's statement, without compiling it each time
        cursor.execute(
            f"SELECT role FROM {connection.ops.quote_name(StaffRole._meta.db_table)} WHERE user_id = %s AND agency_id = %s",
            [user.pk, agency_id],
        )
        return {role for (role,) in cursor.fetchall()}


def _refresh(dossier) -> Dossier:
    return Dossier.objects.select_related("procedure").get(pk=dossier.pk)


def _event(dossier, action: str, actor: Actor, note: str = "", data: dict | None = None) -> DossierEvent:
    return insert_event(DossierEvent(
        dossier=dossier,
        action=action,
        from_status=dossier.status,
        to_status=dossier.status,
        actor=actor.user if getattr(actor.user, "pk", None) else None,
        actor_role=actor.role,
        agency=actor.agency,
        at=timezone.now(),
        note=note,
        client_address=actor.client_address,
        data=data or {},
    ))


def _step_agency(dossier, step: WorkflowStep) -> int:
    return dossier.receiving_agency_id if step.at_receiving_agency else dossier.competent_agency_id


def _hold(dossier, agency_id: int, at: dt.datetime, reason: str = "") -> None:
    """Record that ``agency_id`` holds the dossier from ``at`` (closing the previous holding)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # the statement of the queryset, without compiling it each time
        cursor.execute(
            f"SELECT agency_id FROM {qn(AgencyHolding._meta.db_table)} WHERE dossier_id = %s AND ended_at IS NULL "
            "ORDER BY started_at DESC LIMIT 1",
            [dossier.pk],
        )
        row = cursor.fetchone()
    if row is not None and row[0] == agency_id:
        return
    AgencyHolding.objects.filter(dossier=dossier, ended_at__isnull=True).update(ended_at=at)
    AgencyHolding.objects.create(dossier=dossier, agency_id=agency_id, started_at=at, reason=reason[:255])
    if dossier.current_agency_id != agency_id:
        Dossier.objects.filter(pk=dossier.pk).update(current_agency_id=agency_id)
        dossier.current_agency_id = agency_id


def _new_task(dossier, step: WorkflowStep, at: dt.datetime, *, agency_id=None, returns_to=None) -> Task:
    """An open task for ``step`` (not saved), due by the step's budget or the appointment."""
    agency_id = agency_id or _step_agency(dossier, step)
    if step.budget_value:
        due = cal.add_working_time(at, step.budget_value, step.budget_unit or "working_hours", agency=agency_id)
        if dossier.appointment_at is not None and step.is_end is False:
            due = min(due, max(dossier.appointment_at, at))
    else:
        due = dossier.appointment_at
    return Task(
        dossier=dossier,
        step=step,
        agency_id=agency_id,
        unit_id=step.unit_id if agency_id == _step_agency(dossier, step) else None,
        status=Task.Status.OPEN,
        started_at=at,
        due_at=due,
        returns_to=returns_to,
    )


def _open_task(dossier, step: WorkflowStep, at: dt.datetime, *, agency_id=None, returns_to=None, reason="") -> Task:
    task = insert(_new_task(dossier, step, at, agency_id=agency_id, returns_to=returns_to))
    _hold(dossier, task.agency_id, at, reason)
    return task


def _finish(task: Task, outcome: str, user, note: str = "", at: dt.datetime | None = None) -> None:
    """Close the task unless it was closed already (then refuse: nothing has been written)."""
    at = at or timezone.now()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:  # the queryset update's statement, without compiling it each time
        cursor.execute(
            f"UPDATE {qn(Task._meta.db_table)} SET status = %s, finished_at = %s, outcome = %s, note = %s, "
            "finished_by_id = %s WHERE id = %s AND status IN (%s, %s)",
            [Task.Status.DONE.value, connection.ops.adapt_datetimefield_value(at), outcome, note,
             user.pk if getattr(user, "pk", None) else None, task.pk, *(str(s) for s in ACTIVE)],
        )
        done = cursor.rowcount
    if not done:
        raise TransitionNotAllowed("Nhiệm vụ đã hoàn thành.")
    task.status, task.finished_at, task.outcome, task.note = Task.Status.DONE, at, outcome, note


def ensure_appointment(dossier) -> None:
    """Set the appointment date of an accepted dossier that has none yet (idempotent)."""
    if dossier.appointment_at is not None or dossier.status in (Status.DRAFT, Status.SUBMITTED):
        return
    from motcua.workflow.deadlines import compute_appointment

    received = dossier.received_at or timezone.now()
    appointment = compute_appointment(dossier, received)
    Dossier.objects.filter(pk=dossier.pk, appointment_at__isnull=True).update(
        appointment_at=appointment, received_at=received
    )
    dossier.appointment_at = Dossier.objects.values_list("appointment_at", flat=True).get(pk=dossier.pk)
    dossier.received_at = received


_PLACEHOLDER = -424242  # an id no row has: stands for the real one in the prepared queries
_current_task = Prepared(
    lambda dossier_id: Task.objects.filter(dossier_id=dossier_id, status__in=ACTIVE)
    .select_related("step", "agency", "assignee")
    .order_by("-started_at", "-id")[:1],
    (_PLACEHOLDER,),
)
# The task with its step, definition and agency, and the dossier's row lock (that row only).
_task_locking_dossier = Prepared(
    lambda task_id: Task.objects.select_related("step__definition", "agency", "dossier")
    .select_for_update(of=("dossier",))
    .filter(pk=task_id),
    (_PLACEHOLDER,),
)


def current_task(dossier) -> Task | None:
    """The dossier's open or claimed task (the latest), with its step, agency and assignee."""
    return _current_task.first(dossier.pk)


def start_workflow(dossier, actor, *, locked: bool = False) -> Task | None:
    """Start processing an accepted dossier: record the reception step as done, open the next
    step's task at the competent agency and move the dossier to "Đang xử lý". Idempotent: a
    dossier already started returns its current task.

    ``locked=True``: the caller holds the dossier's row lock in its transaction and passes the
    instance it read under it (no second read; the instance is updated in place).
    """
    actor = _as_actor(actor, role=Role.RECEPTION, agency=getattr(dossier, "receiving_agency", None))
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("start_workflow(locked=True) needs the caller's transaction holding the row lock")
    # No savepoint (two round trips): the refusal is raised after the block, so it leaves the
    # caller's transaction usable; a database error aborts it anyway.
    with transaction.atomic(savepoint=False):
        instance = dossier if locked else Dossier.objects.select_for_update().get(pk=dossier.pk)
        refused = instance.status in (Status.DRAFT, Status.SUBMITTED) or instance.is_final
        task = None if refused else _start(instance, actor)
    if refused:
        raise TransitionNotAllowed(
            f"Không thể chuyển xử lý khi hồ sơ đang ở trạng thái «{Status(instance.status).label}»."
        )
    if instance is not dossier:
        for field in ("status", "appointment_at", "received_at", "current_agency_id"):
            setattr(dossier, field, getattr(instance, field))
    return task


def _start(locked, actor: Actor) -> Task | None:
    """The writes of :func:`start_workflow` (row lock held); the current task when started already."""
    definition = active_definition_for(locked)
    now = timezone.now()
    if not _insert_workflow(locked, definition, now):
        return current_task(locked)
    ensure_appointment(locked)
    steps = graph(definition)
    start = steps.start
    received = locked.received_at or now
    if start.role != Role.RECEPTION:
        task = _open_task(locked, start, now, reason="Chuyển xử lý")
    else:
        # The start step is the desk's reception, already done by accepting the dossier: its
        # task, the next step's task and the holdings are written with one statement each.
        user = actor.user if getattr(actor.user, "pk", None) else None
        reception = Task(
            dossier=locked,
            step=start,
            agency_id=_step_agency(locked, start),
            assignee=user,
            status=Task.Status.DONE,
            started_at=min(received, now),
            finished_at=now,
            outcome=StepAction.FORWARD,
            finished_by=user,
        )
        first = steps.next(start.pk, StepAction.FORWARD)
        task = _new_task(locked, first, now) if first else None
        insert(*[t for t in (reception, task) if t is not None])
        holdings = [AgencyHolding(dossier=locked, agency_id=reception.agency_id, started_at=reception.started_at,
                                  reason="Tiếp nhận")]
        moves = task is not None and task.agency_id != reception.agency_id
        if moves:  # what _hold() does when the next step is at another agency
            holdings[0].ended_at = now
            holdings.append(AgencyHolding(dossier=locked, agency_id=task.agency_id, started_at=now,
                                          reason="Chuyển xử lý"))
        insert(*holdings)
        if moves and locked.current_agency_id != task.agency_id:
            Dossier.objects.filter(pk=locked.pk).update(current_agency_id=task.agency_id)
            locked.current_agency_id = task.agency_id
    if locked.status == Status.ACCEPTED:
        transition(locked, "start_processing", actor, locked=True)
    locked._workflow_started = True  # the "accept" receiver need not look for the workflow
    return task


def _insert_workflow(dossier, definition, at: dt.datetime) -> bool:
    """INSERT the dossier's DossierWorkflow unless it has one: one statement instead of a look-up
    and an insert. False when the dossier had one already (nothing written)."""
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(DossierWorkflow._meta.db_table)} (dossier_id, definition_id, started_at) "
        "VALUES (%s, %s, %s) ON CONFLICT (dossier_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [dossier.pk, definition.pk, connection.ops.adapt_datetimefield_value(at)])
        return cursor.fetchone() is not None


def _check_actor(task: Task, actor: Actor) -> str:
    """The role the actor acts in for ``task``; raises if they may not act on it."""
    if actor.user is None:
        return actor.role  # system
    roles = _user_roles(actor.user, task.agency_id)
    if task.step.role in roles:
        role = task.step.role
    elif Role.AGENCY_ADMIN in roles:
        role = Role.AGENCY_ADMIN
    else:
        raise TransitionNotAllowed("Bạn không có vai trò phù hợp để xử lý bước này.", forbidden=True)
    if task.assignee_id and task.assignee_id != actor.user.pk and not (roles & set(SUPERVISORS)):
        raise TransitionNotAllowed("Nhiệm vụ này đang do cán bộ khác xử lý.", forbidden=True)
    return role


def claim(task: Task, user) -> Task:
    """Take an open task of one's unit inbox."""
    roles = _user_roles(user, task.agency_id)
    if task.step.role not in roles and Role.AGENCY_ADMIN not in roles:
        raise TransitionNotAllowed("Bạn không có vai trò phù hợp để nhận nhiệm vụ này.", forbidden=True)
    with connection.cursor() as cursor:  # the queryset update's statement, without compiling it each time
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(Task._meta.db_table)} SET status = %s, assignee_id = %s "
            "WHERE id = %s AND status = %s AND assignee_id IS NULL",
            [Task.Status.CLAIMED.value, user.pk, task.pk, Task.Status.OPEN.value],
        )
        taken = cursor.rowcount
    if not taken:
        current = Task.objects.get(pk=task.pk)
        if current.assignee_id == user.pk and current.status == Task.Status.CLAIMED:
            return current
        raise TransitionNotAllowed("Nhiệm vụ đã được cán bộ khác nhận hoặc đã hoàn thành.")
    # The conditional UPDATE matched: the row now holds exactly these two values.
    task.status, task.assignee = Task.Status.CLAIMED, user
    return task


def assign(task: Task, user, actor) -> Task:
    """Assign (or reassign) a task to ``user``: by a leader or agency administrator of the task's agency."""
    actor = _as_actor(actor, agency=task.agency)
    if actor.user is not None and not (_user_roles(actor.user, task.agency_id) & set(SUPERVISORS)):
        raise TransitionNotAllowed("Chỉ lãnh đạo hoặc quản trị cơ quan được phân công nhiệm vụ.", forbidden=True)
    if task.step.role not in _user_roles(user, task.agency_id):
        raise TransitionNotAllowed(f"Cán bộ {user} không có vai trò «{task.step.get_role_display()}» tại cơ quan này.")
    updated = Task.objects.filter(pk=task.pk, status__in=ACTIVE).update(status=Task.Status.CLAIMED, assignee=user)
    if not updated:
        raise TransitionNotAllowed("Nhiệm vụ đã hoàn thành, không thể phân công.")
    task.refresh_from_db()
    return task


def _next_step(step: WorkflowStep, action: str) -> WorkflowStep | None:
    """The step ``action`` leads to, from the cached graph of the step's definition (which the
    caller loaded with the step, so the revision is current)."""
    return graph(step.definition).next(step.pk, action)


def complete(task: Task, action: str, actor, note: str = "", target_agency=None) -> Task | None:
    """Perform ``action`` on ``task``'s step and return the next task (``None`` when the workflow ends).

    Pausing actions (request_supplement, request_payment) keep the task open and return it.
    No savepoint: refusals (checked before anything is written) are raised after the
    transaction block and leave the caller's transaction usable; a database error aborts it, as
    in ``transition()``.
    """
    note = nfc(note or "").strip()
    if action == StepAction.TRANSFER:
        task = Task.objects.select_related("step__definition", "agency").get(pk=task.pk)
        actor = _task_actor(task, action, actor)
        if target_agency is None:
            raise TransitionNotAllowed("Vui lòng chọn cơ quan nhận liên thông.")
        return transfer(task.dossier, target_agency, actor, note)
    refused = None
    with transaction.atomic(savepoint=False):
        # One statement for the task (with its step, definition and agency) and the dossier's row
        # lock (that row only). The task's status may predate the lock: _finish re-checks it.
        pk, task = task.pk, _task_locking_dossier.first(task.pk)
        if task is None:
            raise Task.DoesNotExist(f"Task {pk} does not exist.")
        try:
            actor = _task_actor(task, action, actor)
            refusal = _refusal(task.dossier, action)
            if refusal is not None:
                raise TransitionNotAllowed(refusal)
            following = _perform(task, task.dossier, action, actor, note)
        except TransitionNotAllowed as exc:
            refused = exc  # raised before anything was written (see _perform)
    if refused is not None:
        raise refused  # after the block: the caller's transaction stays usable
    return following


def _task_actor(task: Task, action: str, actor) -> Actor:
    """The actor for ``action`` on ``task`` in the role they act in; refuses a closed task, an
    action the step does not allow, or someone who may not act on it."""
    actor = _as_actor(actor, agency=task.agency)
    if task.status == Task.Status.DONE:
        raise TransitionNotAllowed("Nhiệm vụ đã hoàn thành.")
    if action not in (task.step.actions or []) and not (task.returns_to_id and action in ("forward", "return")):
        label = StepAction(action).label if action in StepAction.values else action
        raise TransitionNotAllowed(f"Thao tác «{label}» không được phép ở bước «{task.step.name}».")
    role = _check_actor(task, actor)
    if role != actor.role:
        actor = Actor(user=actor.user, role=role, agency=actor.agency or task.agency, client_address=actor.client_address)
    return actor


def _refusal(dossier, action: str) -> str | None:
    if dossier.is_final:
        return f"Hồ sơ đã ở trạng thái «{Status(dossier.status).label}»."
    if action not in (StepAction.REQUEST_SUPPLEMENT, StepAction.REQUEST_PAYMENT) and dossier.status in PAUSED:
        return "Hồ sơ đang tạm dừng chờ bổ sung hoặc thực hiện nghĩa vụ tài chính."
    return None


def _perform(task: Task, dossier, action: str, actor: Actor, note: str) -> Task | None:
    """The writes of :func:`complete` (the dossier's row lock held, the action allowed).

    Every refusal (``TransitionNotAllowed``) must come before the first write: :func:`complete`
    turns it into a clean refusal without a savepoint to roll back to. So the transitions are
    checked first, then the task is closed (a conditional UPDATE: refused if a concurrent request
    closed it), then everything else is written.
    """
    from motcua.dossiers.procedure_facts import related_name
    from motcua.workflow.deadlines import classify_timeliness

    now = timezone.now()
    if action in (StepAction.REQUEST_SUPPLEMENT, StepAction.REQUEST_PAYMENT):
        transition(dossier, action, actor, note=note, data={"task": task.pk}, locked=True, at=now)
        return task
    starting = dossier.status == Status.ACCEPTED  # approve and hand-overs start processing first
    if action in (StepAction.REFUSE, StepAction.STOP):
        name = "refuse" if action == StepAction.REFUSE and dossier.status == Status.SUBMITTED else "stop"
        check_transition(dossier.status, name, actor)
        _finish(task, action, actor.user, note, at=now)
        ended = {"finished_at": now} if dossier.finished_at is None else {}
        transition(dossier, name, actor, note=note, data={"task": task.pk}, locked=True, at=now, update_fields=ended)
        _end_workflow(dossier, now)
        return None
    if starting:
        check_transition(dossier.status, "start_processing", actor)
    if action == StepAction.APPROVE:
        check_transition(Status.PROCESSING if starting else dossier.status, "approve", actor)
        _finish(task, action, actor.user, note, at=now)
        if starting:
            transition(dossier, "start_processing", actor, locked=True, at=now)
        # Decision date and timeliness in the same UPDATE as the status (the deadlines receiver
        # then finds nothing left to write).
        fields = {"decided_at": now, "finished_at": now} if dossier.decided_at is None else {}
        if dossier.appointment_at is not None:
            fields["timeliness"] = classify_timeliness(dossier.decided_at or now, dossier.appointment_at)
        transition(dossier, "approve", actor, note=note, data={"task": task.pk}, locked=True, at=now,
                   update_fields=fields)
        following = _next_step(task.step, action)
        return _open_task(dossier, following, now, reason="Trả kết quả") if following else None
    # forward / return: a hand-over without a status change.
    _finish(task, action, actor.user, note, at=now)
    if starting:
        transition(dossier, "start_processing", actor, locked=True, at=now)
    if task.returns_to_id:
        origin = Task.objects.select_related("step").get(pk=task.returns_to_id)
        following = _open_task(dossier, origin.step, now, agency_id=origin.agency_id, reason="Trả lại sau liên thông")
    else:
        step = _next_step(task.step, action)
        following = _open_task(dossier, step, now) if step else None
        if following is None:
            _end_workflow(dossier, now)
    _event(
        dossier,
        action,
        actor,
        note,
        {
            "task": task.pk,
            "from_step": task.step.code,
            "to_step": following.step.code if following else None,
            "to_step_name": following.step.name if following else None,
            "to_agency": following.agency_id if following else None,
            "to_agency_name": related_name(following, "agency") if following else None,
        },
    )
    return following


def transfer(dossier, to_agency, actor, reason: str) -> Task:
    """Liên thông: send the dossier's current task to another agency's inbox; completing it there
    (forward/return) sends it back. Holdings record who held the dossier when."""
    actor = _as_actor(actor)
    reason = nfc(reason or "").strip()
    if not reason:
        raise TransitionNotAllowed("Vui lòng nêu nội dung đề nghị phối hợp (liên thông).")
    to_id = getattr(to_agency, "pk", to_agency)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if locked.is_final or locked.status in (Status.DRAFT, Status.SUBMITTED):
            raise TransitionNotAllowed(f"Không thể chuyển liên thông khi hồ sơ ở trạng thái «{Status(locked.status).label}».")
        task = current_task(locked)
        if task is None:
            raise TransitionNotAllowed("Hồ sơ chưa có nhiệm vụ đang xử lý.")
        if task.agency_id == to_id:
            raise TransitionNotAllowed("Hồ sơ đang ở chính cơ quan này.")
        if actor.user is not None and not _user_roles(actor.user, task.agency_id):
            raise TransitionNotAllowed("Bạn không thuộc cơ quan đang xử lý hồ sơ.", forbidden=True)
        now = timezone.now()
        _finish(task, StepAction.TRANSFER, actor.user, reason, at=now)
        new = _open_task(locked, task.step, now, agency_id=to_id, returns_to=task, reason=reason)
        _event(
            locked,
            "transfer",
            actor,
            reason,
            {"task": task.pk, "to_agency": to_id, "to_agency_name": new.agency.name, "new_task": new.pk},
        )
    dossier.current_agency_id = to_id
    return new


def _end_workflow(dossier, at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    AgencyHolding.objects.filter(dossier=dossier, ended_at__isnull=True).update(ended_at=at)
    DossierWorkflow.objects.filter(dossier=dossier, finished_at__isnull=True).update(finished_at=at)


def close_for_final_status(dossier, event) -> None:
    """When a dossier reaches a final status (returned, withdrawn, stopped, refused), close its
    tasks, holdings and workflow: one statement on PostgreSQL (three chained UPDATEs)."""
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        at = connection.ops.adapt_datetimefield_value(event.at)
        sql = (
            f"WITH tasks AS (UPDATE {qn(Task._meta.db_table)} SET status = %s, finished_at = %s, outcome = %s, "
            "finished_by_id = %s WHERE dossier_id = %s AND status = ANY(%s) RETURNING 1), "
            f"holdings AS (UPDATE {qn(AgencyHolding._meta.db_table)} SET ended_at = %s "
            "WHERE dossier_id = %s AND ended_at IS NULL RETURNING 1) "
            f"UPDATE {qn(DossierWorkflow._meta.db_table)} SET finished_at = %s WHERE dossier_id = %s AND finished_at IS NULL"
        )
        params = [Task.Status.DONE.value, at, event.action, event.actor_id, dossier.pk, [str(s) for s in ACTIVE],
                  at, dossier.pk, at, dossier.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    user = event.actor if event.actor_id else None
    Task.objects.filter(dossier=dossier, status__in=ACTIVE).update(
        status=Task.Status.DONE, finished_at=event.at, outcome=event.action, finished_by=user
    )
    _end_workflow(dossier, event.at)


def inbox(agency, user=None, status=None, mine: bool = False) -> QuerySet[Task]:
    """Tasks of an agency's inbox, most urgent first (time left), ready for a 50-row page.

    ``status``: a task status or a list of them (default: open and claimed). ``mine``: only the
    user's tasks. With a ``user`` who is not a leader or administrator there, only the steps of
    the roles they hold at the agency are listed.
    """
    agency_id = getattr(agency, "pk", agency)
    statuses = [status] if isinstance(status, str) else list(status or ACTIVE)
    qs = Task.objects.filter(agency_id=agency_id, status__in=statuses)
    if mine and user is not None:
        qs = qs.filter(assignee=user)
    elif user is not None:
        roles = _user_roles(user, agency_id)
        if not roles & set(SUPERVISORS):
            qs = qs.filter(step__role__in=roles or [""])
    return qs.select_related("dossier", "dossier__procedure", "step", "assignee").order_by(
        F("due_at").asc(nulls_last=True), "id"
    )


def time_left(task: Task, now: dt.datetime | None = None) -> int | None:
    """Working seconds until the task is due (negative when overdue); ``None`` without a due date."""
    if task.due_at is None:
        return None
    now = now or timezone.now()
    if task.due_at >= now:
        return cal.working_seconds_between(now, task.due_at, agency=task.agency_id)
    return -cal.working_seconds_between(task.due_at, now, agency=task.agency_id)


def can_act(user, dossier) -> bool:
    """Whether ``user`` is staff of an agency that holds, handles or received the dossier."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    agencies = {dossier.current_agency_id, dossier.competent_agency_id, dossier.receiving_agency_id} - {None}
    return (
        StaffRole.objects.filter(user=user)
        .filter(Q(agency_id__in=agencies) | Q(agency_id__in=Task.objects.filter(dossier_id=dossier.pk).values("agency_id")))
        .exists()
    )


def holding_report(dossier, now: dt.datetime | None = None) -> list[dict]:
    """Working time each agency held the dossier (to attribute lateness in inter-agency processing)."""
    now = now or timezone.now()
    totals: dict[int, dict] = {}
    for holding in AgencyHolding.objects.filter(dossier=dossier).select_related("agency"):
        seconds = cal.working_seconds_between(holding.started_at, holding.ended_at or now, agency=holding.agency_id)
        entry = totals.setdefault(holding.agency_id, {"agency": holding.agency, "working_seconds": 0})
        entry["working_seconds"] += seconds
    return list(totals.values())


def on_dossier_transitioned(sender, dossier, event, transition, **kwargs) -> None:
    """Start the workflow when a dossier is accepted; close tasks when it reaches a final status."""
    if event.action in ("accept", "receive_at_counter"):
        if getattr(dossier, "_workflow_started", False):
            return  # started in the accepting transaction (start_workflow on this instance)
        if not DossierWorkflow.objects.filter(dossier_id=dossier.pk).exists():
            actor = Actor(user=event.actor, role=event.actor_role or Role.RECEPTION, agency=event.agency)
            try:
                start_workflow(dossier, actor)
            except TransitionNotAllowed:
                pass  # the dossier moved on meanwhile (e.g. withdrawn): nothing to start
    elif event.to_status in FINAL_STATUSES:
        close_for_final_status(dossier, event)
