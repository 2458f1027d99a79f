"""Background tasks of the integrations app (django-tasks)."""

from django_tasks import task

from motcua.integrations.messaging import send_due_messages


@task()
def send_due_messages_task() -> dict:
    """Deliver outbox messages whose next attempt is due (retries after a failure)."""
    return send_due_messages()
