from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lachan.core import jobs


class Command(BaseCommand):
    help = (
        "Run background jobs with the worker of the configured backend: db_worker (database, the default) "
        "or rqworker (Redis, when REDIS_URL is set). Run as many as you like, on any machine."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="append", dest="queues", metavar="NAME",
            help="Queue to work on (repeatable; default: every queue of the backend)",
        )
        parser.add_argument(
            "--burst", "--batch", action="store_true", dest="burst",
            help="Run the jobs waiting now, then exit (db_worker --batch / rqworker --burst)",
        )
        parser.add_argument("--max-jobs", type=int, help="Exit after this many jobs (a supervisor restarts it)")

    def handle(self, *args, queues, burst, max_jobs, verbosity, **options):
        kind = jobs.backend_kind()
        queues = queues or jobs.backend_queues()
        if kind == "db":
            argv = ["--queue-name", ",".join(queues), "--no-reload"]
            if burst:
                argv += ["--batch", "--no-startup-delay"]
            if max_jobs:
                argv += ["--max-tasks", str(max_jobs)]
            call_command("db_worker", *argv, verbosity=verbosity)
        elif kind == "rq":
            # --with-scheduler: RQ moves jobs enqueued with run_after into the queue when due.
            argv = [*queues, "--job-class", jobs.RQ_JOB_CLASS, "--with-scheduler"]
            if burst:
                argv.append("--burst")
            if max_jobs:
                argv += ["--max-jobs", str(max_jobs)]
            call_command("rqworker", *argv, verbosity=verbosity)
        else:
            raise CommandError(f"The {kind!r} task backend runs jobs itself; there is nothing for a worker to do.")
