import io

import pytest
from django.core.management import call_command

from motcua.core.periodic import JOBS, due_jobs, run_due


def test_every_job_points_at_a_real_task():
    for job in JOBS:
        assert hasattr(job.task(), "enqueue"), job.task_path


def test_jobs_are_due_first_then_after_their_interval():
    last_run: dict[str, float] = {}
    assert {j.name for j in due_jobs(last_run, 1000.0)} == {j.name for j in JOBS}
    for job in JOBS:
        last_run[job.name] = 1000.0
    assert due_jobs(last_run, 1000.0 + 59) == []
    assert [j.name for j in due_jobs(last_run, 1000.0 + 60)] == ["outbox"]
    assert {j.name for j in due_jobs(last_run, 1000.0 + 15 * 60)} == {j.name for j in JOBS}


@pytest.mark.django_db
def test_scheduler_once_runs_every_job_through_the_task_backend(monkeypatch):
    ran = []
    from motcua.integrations import tasks as integration_tasks
    from motcua.workflow import tasks as workflow_tasks

    monkeypatch.setattr(integration_tasks, "send_due_messages", lambda limit=500: ran.append("outbox") or {})
    monkeypatch.setattr(workflow_tasks, "check_deadlines", lambda warn_hours=8: ran.append("deadlines") or {})
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "deadlines" in out.getvalue() and "outbox" in out.getvalue()
    assert {"deadlines", "outbox"} <= set(ran)  # the immediate backend of the tests ran the tasks


def test_run_due_records_the_time():
    last_run: dict[str, float] = {}
    for job in JOBS:
        last_run[job.name] = 0.0
    names = run_due(last_run, now=61.0)
    assert names == ["outbox"] and last_run["outbox"] == 61.0
