import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from lachan.core import jobs

logger = logging.getLogger("lachan.jobs")


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs when they are due (declared with @periodic in lachan.core.jobs and the apps' "
        "tasks.py). Several schedulers may run at once: each run is claimed by one of them only."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between two looks (default: 5)")
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now, then exit")

    def handle(self, *args, interval, once, verbosity, **options):
        registry = jobs.discover()
        if once:
            for name in jobs.run_due():
                self.stdout.write(name)
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            logger.info("scheduler: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        if verbosity:
            for job in registry.values():
                self.stdout.write(f"scheduler: {job.name} every {job.every}")
        while not stop.is_set():
            close_old_connections()
            try:
                jobs.run_due()
            except DatabaseError:
                logger.exception("scheduler: database error, retrying in %ss", interval)
            stop.wait(interval)
        close_old_connections()
