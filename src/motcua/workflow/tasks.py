"""Background tasks of the workflow app (django-tasks). Run periodically, e.g. from cron:
``motcua check-deadlines`` or by enqueuing :data:`check_deadlines_task`."""

from django_tasks import task

from motcua.workflow.deadlines import check_deadlines


@task()
def check_deadlines_task(warn_hours: int = 8) -> dict:
    return check_deadlines(warn_hours=warn_hours)
