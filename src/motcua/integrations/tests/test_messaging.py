import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from motcua.integrations import messaging
from motcua.integrations.messaging import MAX_ATTEMPTS, deliver, queue_message, send_due_messages
from motcua.integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db

CALLS: list = []


class FlakySender:
    """Fails the first ``fail`` calls, then succeeds; records every call."""

    fail = 0

    def send(self, message):
        CALLS.append(message.pk)
        if len(CALLS) <= FlakySender.fail:
            raise ConnectionError("gateway down")


@pytest.fixture
def flaky(settings):
    CALLS.clear()
    FlakySender.fail = 0
    settings.SMS_BACKEND = "motcua.integrations.tests.test_messaging.FlakySender"
    return FlakySender


def test_email_is_delivered_after_commit(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        msg = queue_message("email", "an@example.vn", "Xác nhận", "Mã của bạn là 123456")
        assert OutboxMessage.objects.get(pk=msg.pk).status == "pending"  # nothing sent before commit
        assert mail.outbox == []
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.attempts == 1 and msg.sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["an@example.vn"]
    assert mail.outbox[0].body == "Mã của bạn là 123456"


def test_file_sender_appends_to_sms_log(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "file"
    settings.VAR_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        queue_message("sms", "0912345678", "", "Mã xác nhận: 111111")
        queue_message("sms", "0912345679", "", "Mã xác nhận: 222222")
    lines = [json.loads(line) for line in (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()]
    assert [(x["to"], x["body"]) for x in lines] == [
        ("0912345678", "Mã xác nhận: 111111"),
        ("0912345679", "Mã xác nhận: 222222"),
    ]


def test_failure_then_retry_with_backoff(flaky, django_capture_on_commit_callbacks):
    flaky.fail = 2
    with django_capture_on_commit_callbacks(execute=True):
        msg = queue_message("sms", "0912345678", "", "Xin chào")
    msg.refresh_from_db()
    assert msg.status == "pending" and msg.attempts == 1 and "gateway down" in msg.last_error
    first_wait = msg.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)

    assert send_due_messages() == {}  # not yet due: nothing is tried
    assert len(CALLS) == 1
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
    assert deliver(msg.pk) == "pending"
    msg.refresh_from_db()
    assert msg.attempts == 2
    assert msg.next_attempt_at - timezone.now() > timedelta(seconds=55)  # doubled

    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
    call_command("send-outbox")
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.attempts == 3 and msg.last_error == ""


def test_gives_up_after_max_attempts(flaky):
    flaky.fail = 100
    msg = OutboxMessage.objects.create(channel="sms", recipient="0912345678", body="x")
    for _ in range(MAX_ATTEMPTS):
        OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
        deliver(msg.pk)
    msg.refresh_from_db()
    assert msg.status == "failed" and msg.attempts == MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
    assert deliver(msg.pk) == "failed"
    assert len(CALLS) == MAX_ATTEMPTS


def test_no_double_send(flaky, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = queue_message("sms", "0912345678", "", "Một lần thôi")
    assert OutboxMessage.objects.get(pk=msg.pk).status == "sent"
    assert deliver(msg.pk) == "sent"
    assert send_due_messages() == {}
    messaging.deliver_message_task.enqueue(msg.pk)
    assert CALLS == [msg.pk]


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError):
        queue_message("fax", "x", "", "y")


def test_messages_queued_together_are_one_insert_and_one_task(settings, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.integrations.messaging import queue_messages

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "console"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with CaptureQueriesContext(connection) as queries:
            sms, email = queue_messages(
                [("sms", "0912345678", "Hồ sơ", "Đã tiếp nhận"), ("email", "an@example.vn", "Hồ sơ", "Đã tiếp nhận")]
            )
    inserts = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and sms.pk and email.pk
    assert len(callbacks) == 1
    callbacks[0]()  # the one task, run now (immediate backend): both delivered
    assert {m.status for m in OutboxMessage.objects.filter(pk__in=[sms.pk, email.pk])} == {"sent"}
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_queue_gets_the_task_row_in_the_same_statement(settings):
    """With the database queue (production) on PostgreSQL, the messages and their delivery task
    are written by one statement in the caller's transaction; the library's own worker runs it."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from motcua.integrations.messaging import queue_messages

    assert connection.vendor == "postgresql"  # the runner selects postgres tests on PostgreSQL only
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "console"
    with pytest.raises(RuntimeError), transaction.atomic():  # rolled back: neither row stays
        queue_messages([("sms", "0912345678", "", "Không gửi")])
        raise RuntimeError
    assert not OutboxMessage.objects.exists() and not DBTaskResult.objects.exists()

    with CaptureQueriesContext(connection) as queries:
        sms, email = queue_messages(
            [("sms", "0912345678", "Hồ sơ", "Đã tiếp nhận"), ("email", "an@example.vn", "Hồ sơ", "Đã tiếp nhận")]
        )
    assert len(queries.captured_queries) == 1
    row = DBTaskResult.objects.get()
    assert row.args_kwargs == {"args": [sorted([sms.pk, email.pk])], "kwargs": {}}
    assert row.task_path == messaging.deliver_messages_task.module_path
    assert row.status == "READY" and row.backend_name == "default" and row.queue_name == "default"
    assert row.task_result.task.func is messaging.deliver_messages_task.func
    assert {m.status for m in OutboxMessage.objects.all()} == {"pending"}

    call_command("db_worker", batch=True, interval=0, verbosity=0)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.return_value == ["sent", "sent"]
    assert {m.status for m in OutboxMessage.objects.all()} == {"sent"}
    assert len(mail.outbox) == 1
