"""The outbox: every SMS and e-mail is first saved, then delivered by a background task after the
transaction commits, with retries and exponential backoff. A message is sent at most once: delivery
locks the row and only sends a pending, due message."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.db import connection, router, transaction
from django.db.models.signals import pre_save
from django.utils import timezone
from django_tasks import task

from motcua.core import statements
from motcua.core.text import nfc
from motcua.integrations.models import OutboxMessage
from motcua.integrations.senders import get_sender

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30  # 30 s, 60 s, 2 min, 4 min between attempts


def queue_message(channel: str, recipient: str, subject: str, body: str) -> OutboxMessage:
    """Save a message and deliver it in the background once the current transaction commits."""
    return queue_messages([(channel, recipient, subject, body)])[0]


def queue_messages(messages: list[tuple[str, str, str, str]]) -> list[OutboxMessage]:
    """Save several ``(channel, recipient, subject, body)`` messages in one INSERT and deliver them
    with one background task once the current transaction commits (a status change's SMS and
    e-mail: two statements instead of four)."""
    rows = []
    for channel, recipient, subject, body in messages:
        if channel not in OutboxMessage.Channel.values:
            raise ValueError(f"unknown channel {channel!r}")
        rows.append(OutboxMessage(channel=channel, recipient=recipient.strip(), subject=nfc(subject)[:255], body=body.strip()))
    if not rows:
        return []
    if _queue_in_database():
        _insert_with_task(rows)
        return rows
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    else:
        OutboxMessage.objects.bulk_create(rows)  # PostgreSQL and SQLite return the ids
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _enqueue_many(ids))
    return rows


def _queue_in_database() -> bool:
    """Whether delivery tasks are rows of the django-tasks-db queue in this PostgreSQL database."""
    if connection.vendor != "postgresql":
        return False
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - django-tasks-db is a dependency
        return False
    return (isinstance(deliver_messages_task.get_backend(), DatabaseBackend)
            and router.db_for_write(DBTaskResult) == connection.alias)


@functools.cache
def _outbox_with_task_sql(count: int) -> str:
    """One statement: ``count`` outbox rows (core.statements' INSERT) and the task row that
    delivers them (PostgreSQL)."""
    from django_tasks_db.models import DBTaskResult

    qn = connection.ops.quote_name
    outbox, _ = statements.insert_statement(OutboxMessage, count)
    task_columns, task_values = [], []
    for f in DBTaskResult._meta.concrete_fields:
        task_columns.append(qn(f.column))
        task_values.append(
            "jsonb_build_object('args', jsonb_build_array(jsonb_agg(m.id ORDER BY m.id)), 'kwargs', '{}'::jsonb)"
            if f.name == "args_kwargs" else "%s"
        )
    return (
        f"WITH m AS ({outbox}), "
        f"t AS (INSERT INTO {qn(DBTaskResult._meta.db_table)} ({', '.join(task_columns)}) "
        f"SELECT {', '.join(task_values)} FROM m) "
        "SELECT id FROM m"
    )


def _insert_with_task(rows: list[OutboxMessage]) -> None:
    """The messages and their delivery task in ONE statement, in the caller's transaction.

    The transactional outbox: the task row commits (or rolls back) with the messages, so no
    wake-up is lost if the process stops between a commit and an after-commit enqueue, and a
    status change's notice is one round trip instead of two (with the ORM's compilation of two
    INSERTs saved: ~0.6 ms of CPU per notice). The task row is the one django-tasks-db's own
    ``enqueue`` writes (the model's defaults and pre_save receivers, the task's path, queue and
    priority, ``{"args": [[ids…]], "kwargs": {}}``); its worker runs it like any other. Not sent:
    the library's ``task_enqueued`` signal (its only receiver is a debug log line).
    """
    from django_tasks_db.models import DBTaskResult

    task = deliver_messages_task
    backend = task.get_backend()
    template = DBTaskResult(id=backend._get_id(), args_kwargs={}, priority=task.priority, task_path=task.module_path,
                            queue_name=task.queue_name, run_after=task.run_after, backend_name=backend.alias)
    pre_save.send(sender=DBTaskResult, instance=template, raw=False, using=connection.alias, update_fields=None)
    _, fields = statements.insert_statement(OutboxMessage, len(rows))
    values = []
    for row in rows:
        values += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    values += [f.get_db_prep_save(f.pre_save(template, True), connection)
               for f in DBTaskResult._meta.concrete_fields if f.name != "args_kwargs"]
    with connection.cursor() as cursor:
        cursor.execute(_outbox_with_task_sql(len(rows)), values)
        ids = [r[0] for r in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias


def _enqueue(message_id: int, run_after=None) -> None:
    try:
        if run_after is not None and deliver_message_task.get_backend().supports_defer:
            deliver_message_task.using(run_after=run_after).enqueue(message_id)
        elif run_after is None:
            deliver_message_task.enqueue(message_id)
        # Without deferred tasks, `motcua send-outbox` (run periodically) picks up retries.
    except Exception:  # the message stays pending; send-outbox will deliver it
        logger.exception("could not enqueue outbox message %s", message_id)


def _enqueue_many(message_ids: list[int]) -> None:
    if len(message_ids) == 1:
        return _enqueue(message_ids[0])
    try:
        deliver_messages_task.enqueue(message_ids)
    except Exception:  # the messages stay pending; send-outbox will deliver them
        logger.exception("could not enqueue outbox messages %s", message_ids)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def deliver(message_id: int) -> str:
    """Try to send one message if it is pending and due; return its status afterwards."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return "missing"
        if message.status != OutboxMessage.Status.PENDING or message.next_attempt_at > timezone.now():
            return message.status
        message.attempts += 1
        try:
            get_sender(message.channel)(message)
        except Exception as exc:  # any provider error counts as a failed attempt
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                logger.error("outbox message %s failed after %s attempts: %s", message.pk, message.attempts, exc)
            else:
                message.next_attempt_at = timezone.now() + backoff(message.attempts)
            retry_at = message.next_attempt_at if message.status == OutboxMessage.Status.PENDING else None
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
            retry_at = None
        message.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"])
    if retry_at is not None:
        _enqueue(message.pk, run_after=retry_at)
    return message.status


def send_due_messages(limit: int = 500) -> dict[str, int]:
    """Deliver every pending message whose next attempt is due (used by ``motcua send-outbox``)."""
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for pk in ids:
        status = deliver(pk)
        counts[status] = counts.get(status, 0) + 1
    return counts


@task()
def deliver_message_task(message_id: int) -> str:
    return deliver(message_id)


@task()
def deliver_messages_task(message_ids: list[int]) -> list[str]:
    """Deliver messages queued together; each is locked, sent and retried on its own."""
    return [deliver(message_id) for message_id in message_ids]
