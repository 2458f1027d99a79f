"""Background tasks of the statistics app (django-tasks)."""

from django_tasks import task

from motcua.stats import rollups


@task()
def refresh_backlog() -> None:
    """Current backlog and overdue counts, and the snapshot of any month just ended."""
    rollups.refresh()
