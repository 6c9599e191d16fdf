"""Background jobs. The choice of job library and backend sits behind this module alone.

Write a job::

    from lachan.core.jobs import task

    @task()
    def match_botnet_list(list_id): ...

    match_botnet_list.enqueue(list_id)        # runs in `lachan worker`

and a periodic one (put it in ``<app>/tasks.py``; `lachan scheduler` imports those modules)::

    @periodic(every=timedelta(hours=1))
    @task()
    def poll_feeds(): ...

The API is Django's Tasks API (``@task``, ``.enqueue()``, ``TaskResult``) through the
``django-tasks`` backport; on Django 6 only the imports below change to ``django.tasks``.
The backend comes from settings.TASKS (TASKS_BACKEND / REDIS_URL):

- ``db``: ``django_tasks_db.DatabaseBackend`` — the default; jobs live in the same database,
  ``lachan worker`` runs ``db_worker``;
- ``rq``: ``django_tasks_rq.RQBackend`` — Redis through django-rq; ``lachan worker`` runs
  ``rqworker`` with the django-tasks job class.

The scheduler claims every run of a periodic job with an atomic conditional UPDATE on
``core.PeriodicJobRun`` (``last_enqueued`` moves forward only if the run is due, measured with the
database's clock), so any number of schedulers on any number of machines enqueue each run once.
"""

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.fields import DurationField
from django.db.models.functions import Now
from django.utils import timezone

# Django 6: from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
# and from django.tasks.base import Task.
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task, task_backends
from django_tasks.base import Task

__all__ = [
    "PERIODIC_JOBS",
    "Task",
    "TaskResultStatus",
    "backend_kind",
    "backend_queues",
    "claim",
    "discover",
    "heartbeat",
    "periodic",
    "prune_task_results",
    "run_due",
    "task",
]

logger = logging.getLogger("lachan.jobs")

DB_BACKEND = "django_tasks_db.backend.DatabaseBackend"
RQ_BACKEND = "django_tasks_rq.backend.RQBackend"
RQ_JOB_CLASS = "django_tasks_rq.Job"


def backend_kind(alias=DEFAULT_TASK_BACKEND_ALIAS):
    """'db', 'rq', 'immediate' or 'other' for the configured backend."""
    cls = type(task_backends[alias])
    path = f"{cls.__module__}.{cls.__qualname__}"
    if path == DB_BACKEND:
        return "db"
    if path == RQ_BACKEND:
        return "rq"
    if path.endswith(".ImmediateBackend"):
        return "immediate"
    return "other"


def backend_queues(alias=DEFAULT_TASK_BACKEND_ALIAS):
    return sorted(task_backends[alias].queues)


# --- periodic jobs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodicJob:
    task: Task
    every: timedelta
    backends: frozenset | None = None  # backend kinds the job makes sense for; None: all

    @property
    def name(self):
        return self.task.module_path


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def periodic(*, every, backends=None):
    """Declare a periodic job: ``@periodic(every=timedelta(minutes=5))`` above ``@task()`` (or alone,
    then the function is made a task with default options). ``backends``: restrict to e.g. {"db"}."""
    if not isinstance(every, timedelta) or every < timedelta(seconds=1):
        raise ValueError("every must be a timedelta of at least one second")

    def register(obj):
        job_task = obj if isinstance(obj, Task) else task()(obj)
        job = PeriodicJob(task=job_task, every=every, backends=frozenset(backends) if backends else None)
        if len(job.name) > 100:
            raise ValueError(f"periodic job name too long: {job.name}")
        PERIODIC_JOBS[job.name] = job
        return job_task

    return register


def discover():
    """Import ``tasks`` modules of our apps, so that their periodic jobs are registered."""
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("lachan.") and find_spec(f"{app_config.name}.tasks") is not None:
            import_module(f"{app_config.name}.tasks")
    return PERIODIC_JOBS


def claim(name, every, now=None):
    """Take the run of periodic job ``name`` that is due now; True for exactly one caller.

    One conditional UPDATE: it moves ``last_enqueued`` to now only when the previous run is at
    least ``every`` old, so two schedulers racing for the same run cannot both succeed. ``now``
    defaults to the database clock (schedulers on several machines need not agree on the time)."""
    from lachan.core.models import PeriodicJobRun

    now_expr = Now() if now is None else Value(now)
    due = Q(last_enqueued__isnull=True) | Q(last_enqueued__lte=now_expr - Value(every, output_field=DurationField()))
    updated = PeriodicJobRun.objects.filter(due, name=name).update(last_enqueued=now_expr)
    if not updated and not PeriodicJobRun.objects.filter(name=name).exists():
        PeriodicJobRun.objects.bulk_create([PeriodicJobRun(name=name)], ignore_conflicts=True)
        updated = PeriodicJobRun.objects.filter(due, name=name).update(last_enqueued=now_expr)
    return updated == 1


def run_due(now=None):
    """Enqueue every periodic job whose run is due; returns their names.

    Claim and enqueue share a transaction: if the enqueue fails (Redis away …) the claim is rolled
    back and the next tick tries again. With the database backend the task row is written in the
    same transaction as the claim."""
    kind = backend_kind()
    enqueued = []
    for job in list(PERIODIC_JOBS.values()):
        if job.backends is not None and kind not in job.backends:
            continue
        try:
            with transaction.atomic():
                if claim(job.name, job.every, now=now):
                    job.task.enqueue()
                    enqueued.append(job.name)
        except Exception:
            logger.exception("could not enqueue periodic job %s", job.name)
    if enqueued:
        logger.info("enqueued %s", ", ".join(enqueued))
    return enqueued


# --- jobs of the platform itself -----------------------------------------------------------------


def heartbeat_path():
    return Path(settings.DATA_DIR) / "heartbeat.json"


@periodic(every=timedelta(minutes=5))
@task()
def heartbeat():
    """Write the time a worker ran this job to DATA_DIR/heartbeat.json. Its age shows that the
    scheduler → queue → worker chain works: older than two periods means one of them is down."""
    now = timezone.now()
    data = {"at": now.isoformat(), "host": socket.gethostname(), "pid": os.getpid()}
    path = heartbeat_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    return data["at"]


@periodic(every=timedelta(hours=6), backends={"db"})
@task()
def prune_task_results(days=None):
    """Delete finished (successful or failed) job results older than TASK_RESULTS_KEEP_DAYS days
    from the database backend's table; returns how many. (Redis expires RQ results itself.)"""
    from django_tasks_db.models import DBTaskResult

    days = settings.TASK_RESULTS_KEEP_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    if deleted:
        logger.info("pruned %d job results older than %d days", deleted, days)
    return deleted
