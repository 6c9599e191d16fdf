"""Jobs (lachan.core.jobs), the worker/scheduler/serve/up commands, with real backends:
the database worker in batch mode, and RQ on a real redis-server (REDIS_URL, marker ``redis``)."""

import io
import json
import os
import signal
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lachan.core import jobs
from lachan.core.jobs import TaskResultStatus, task
from lachan.core.management.commands.up import Supervisor, banner
from lachan.core.models import PeriodicJobRun

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@task()
def add(a, b):
    return a + b


@pytest.fixture
def keep_signal_handlers():
    """The workers install their own SIGINT/SIGTERM handlers; put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def db_backend(settings, tmp_path):
    settings.TASKS = DB_TASKS
    settings.DATA_DIR = tmp_path
    return settings


# --- database backend + worker ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_db_worker_batch_runs_enqueued_jobs_to_completion(db_backend, keep_signal_handlers):
    assert jobs.backend_kind() == "db"
    summed = add.enqueue(2, 3)
    beat = jobs.heartbeat.enqueue()
    assert summed.status == TaskResultStatus.READY

    call_command("worker", "--batch", verbosity=0)

    summed.refresh()
    beat.refresh()
    assert summed.status == TaskResultStatus.SUCCESSFUL
    assert summed.return_value == 5
    assert beat.status == TaskResultStatus.SUCCESSFUL
    written = json.loads((db_backend.DATA_DIR / "heartbeat.json").read_text())
    assert written["at"] == beat.return_value


@pytest.mark.django_db
def test_worker_refuses_a_backend_that_needs_no_worker():
    # conftest configures the immediate backend for tests
    with pytest.raises(CommandError, match="nothing for a worker to do"):
        call_command("worker", "--burst")


@pytest.mark.django_db
def test_prune_task_results_deletes_only_old_finished_results(db_backend):
    from django_tasks_db.models import DBTaskResult

    old, recent, waiting = add.enqueue(1, 1), add.enqueue(1, 2), add.enqueue(1, 3)
    now = timezone.now()
    DBTaskResult.objects.filter(id=old.id).update(status="SUCCESSFUL", finished_at=now - timedelta(days=30))
    DBTaskResult.objects.filter(id=recent.id).update(status="FAILED", finished_at=now - timedelta(days=1))

    assert jobs.prune_task_results.call(days=14) == 1
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {recent.id, waiting.id}


# --- scheduler --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_is_exclusive():
    every = timedelta(minutes=5)
    assert jobs.claim("tests.job", every) is True
    assert jobs.claim("tests.job", every) is False
    assert PeriodicJobRun.objects.filter(name="tests.job").count() == 1


@pytest.mark.django_db
def test_claim_succeeds_again_once_the_period_has_passed():
    every = timedelta(minutes=5)
    start = timezone.now()
    assert jobs.claim("tests.job", every, now=start)
    assert not jobs.claim("tests.job", every, now=start + every - timedelta(seconds=1))
    assert jobs.claim("tests.job", every, now=start + every)
    assert not jobs.claim("tests.job", every, now=start + every)


def core_jobs_only(monkeypatch):
    """Only the core's periodic jobs (the apps' tasks modules may have been imported by other tests)."""
    core = {name: job for name, job in jobs.PERIODIC_JOBS.items() if name.startswith("lachan.core.jobs.")}
    monkeypatch.setattr(jobs, "PERIODIC_JOBS", core)


@pytest.mark.django_db
def test_run_due_enqueues_each_run_once(db_backend, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    core_jobs_only(monkeypatch)
    assert set(jobs.run_due()) == {"lachan.core.jobs.heartbeat", "lachan.core.jobs.prune_task_results"}
    assert jobs.run_due() == []
    assert DBTaskResult.objects.count() == 2


class _UnreachableQueue:
    module_path = "tests.unreachable"

    def enqueue(self):
        raise ConnectionError("queue is down")


@pytest.mark.django_db
def test_a_failed_enqueue_gives_the_run_back(monkeypatch):
    monkeypatch.setattr(jobs, "PERIODIC_JOBS", {})
    jobs.PERIODIC_JOBS["tests.unreachable"] = jobs.PeriodicJob(task=_UnreachableQueue(), every=timedelta(minutes=1))
    assert jobs.run_due() == []
    assert not PeriodicJobRun.objects.filter(name="tests.unreachable", last_enqueued__isnull=False).exists()


@pytest.mark.django_db
def test_periodic_jobs_of_another_backend_are_skipped(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path  # immediate backend (conftest): the job runs at once
    core_jobs_only(monkeypatch)
    assert jobs.run_due() == ["lachan.core.jobs.heartbeat"]
    assert (tmp_path / "heartbeat.json").exists()


@pytest.mark.django_db
def test_scheduler_once_command(db_backend):
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "lachan.core.jobs.heartbeat" in out.getvalue()


def test_periodic_rejects_a_too_short_period():
    with pytest.raises(ValueError):
        jobs.periodic(every=timedelta(milliseconds=10))


# --- Redis / RQ backend -----------------------------------------------------------------------------


@pytest.mark.redis
def test_rq_backend_runs_a_job_through_real_redis(settings, keep_signal_handlers):
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("LACHAN_REQUIRE_SERVICES") == "1":
            pytest.fail("REDIS_URL is not set, and LACHAN_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip("needs a Redis server: set REDIS_URL")
    import django_rq

    queue_name = f"lachan-test-{uuid.uuid4().hex[:8]}"
    settings.RQ_QUEUES = {"default": {"URL": url}, queue_name: {"URL": url}}  # results are read via "default"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    assert jobs.backend_kind() == "rq"
    try:
        result = add.using(queue_name=queue_name).enqueue(20, 22)
        assert result.status == TaskResultStatus.READY

        call_command("worker", "--burst", verbosity=0)  # rqworker --burst on the backend's queues

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 42
    finally:
        django_rq.get_queue(queue_name).empty()


# --- serve / up -------------------------------------------------------------------------------------


def test_serve_execs_gunicorn_with_bind_and_concurrency_from_env(monkeypatch):
    captured = {}
    monkeypatch.setattr(os, "execv", lambda path, argv: captured.update(argv=argv))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("LACHAN_BIND", "127.0.0.1:9123")
    call_command("serve", stdout=io.StringIO())
    argv = captured["argv"]
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "lachan.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9123"
    assert argv[argv.index("--workers") + 1] == "3"


def _python(code):
    return [sys.executable, "-c", code]


def test_supervisor_stops_the_others_when_one_child_dies():
    out = io.StringIO()
    sup = Supervisor(
        {"sleeper": _python("import time; time.sleep(60)"), "crasher": _python("print('bye'); raise SystemExit(3)")},
        out=out, grace=10,
    )
    assert sup.run() == 3
    assert sup.children["sleeper"].returncode == -signal.SIGTERM
    assert "crasher | bye" in out.getvalue()


def test_supervisor_forwards_a_stop_signal():
    out = io.StringIO()
    sup = Supervisor({"sleeper": _python("import time; print('up', flush=True); time.sleep(60)")}, out=out, grace=10)

    def stop_soon():
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    assert sup.run(on_started=stop_soon) == 0
    assert sup.children["sleeper"].returncode == -signal.SIGTERM


def test_banner_names_the_url():
    text = banner("http://127.0.0.1:8000/", demo=False)
    assert "http://127.0.0.1:8000/" in text
    assert "Ctrl+C" in text
