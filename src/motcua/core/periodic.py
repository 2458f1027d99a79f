"""The periodic jobs of MotCua and a tiny scheduler that enqueues them.

django-tasks runs tasks but does not schedule them. ``motcua scheduler`` (one process per
installation, beside ``motcua db_worker``) enqueues each job when it is due; ``motcua scheduler
--once`` enqueues every job once, for cron. The work itself runs in the task workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task_path: str  # "module:attribute" of a django-tasks task
    every_seconds: int
    description: str

    def task(self):
        module, attr = self.task_path.split(":")
        return getattr(import_module(module), attr)


JOBS = [
    PeriodicJob("deadlines", "motcua.workflow.tasks:check_deadlines_task", 15 * 60, "Cảnh báo sắp hết hạn, phát hiện quá hạn"),
    PeriodicJob("backlog", "motcua.stats.tasks:refresh_backlog", 10 * 60, "Số hồ sơ tồn, quá hạn hiện tại"),
    PeriodicJob("payments", "motcua.payments.tasks:reconcile_payments_task", 10 * 60, "Đối soát giao dịch đang chờ"),
    PeriodicJob("outbox", "motcua.integrations.tasks:send_due_messages_task", 60, "Gửi lại tin nhắn, thư đến hạn"),
]


def due_jobs(last_run: dict[str, float], now: float) -> list[PeriodicJob]:
    """The jobs whose interval has passed since their last run (never run: due)."""
    return [job for job in JOBS if now - last_run.get(job.name, float("-inf")) >= job.every_seconds]


def run_due(last_run: dict[str, float], now: float | None = None) -> list[str]:
    """Enqueue every due job and record when; returns the names enqueued."""
    now = time.monotonic() if now is None else now
    enqueued = []
    for job in due_jobs(last_run, now):
        job.task().enqueue()
        last_run[job.name] = now
        enqueued.append(job.name)
    return enqueued
