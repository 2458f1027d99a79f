"""Background work of payments (django-tasks): reconciliation with the gateways."""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from motcua.payments import services


@task()
def reconcile_payments_task() -> dict:
    """Query the gateways about pending payments and expire stale ones; schedule every few minutes."""
    return asdict(services.reconcile_payments())
