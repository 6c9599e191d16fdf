import os
import sys

from django.core.management.base import BaseCommand, CommandError


def gunicorn_argv(*, bind, workers, extra=()):
    """The gunicorn command line; more options through GUNICORN_CMD_ARGS (read by gunicorn itself)."""
    argv = [
        sys.executable, "-m", "gunicorn", "lachan.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--timeout", "120",
        "--graceful-timeout", "30",
        "--max-requests", "2000",
        "--max-requests-jitter", "200",
        "--access-logfile", "-",
        "--error-logfile", "-",
        "--no-control-socket",  # we stop and reload through signals (systemd, lachan up)
    ]
    return [*argv, *extra]


class Command(BaseCommand):
    help = (
        "Run the web application with gunicorn (static files served by whitenoise; run collectstatic first). "
        "Bind address from LACHAN_BIND (default 127.0.0.1:8000), number of processes from WEB_CONCURRENCY "
        "(default 2). Behind nginx, set FORWARDED_ALLOW_IPS and BEHIND_PROXY=1."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("LACHAN_BIND", "127.0.0.1:8000"),
                            help="host:port or unix:/path (default: LACHAN_BIND or 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=None,
                            help="Worker processes (default: WEB_CONCURRENCY or 2)")
        parser.add_argument("gunicorn_args", nargs="*", metavar="-- GUNICORN_ARG",
                            help="Further gunicorn options, after --")

    def handle(self, *args, bind, workers, gunicorn_args, **options):
        if workers is None:
            try:
                workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
            except ValueError:
                raise CommandError("WEB_CONCURRENCY must be a number") from None
        if workers < 1:
            raise CommandError("at least one worker process is needed")
        argv = gunicorn_argv(bind=bind, workers=workers, extra=gunicorn_args)
        self.stdout.write(f"serve: gunicorn on {bind} with {workers} worker(s)")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 -- fixed argv; gunicorn takes this process over (same pid for systemd and `lachan up`)
