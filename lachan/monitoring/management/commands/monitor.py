"""``lachan monitor``: the website monitor (issue 5).

    lachan monitor                                   the long-running monitor (same as ``monitor run``)
    lachan monitor run [--concurrency N] [--per-host N] [--once] [--name NAME]
    lachan monitor check URL [--json] [--baseline FILE] [--allow-private] [--subpage PATH]… [--sitemap-sample N]

``run`` calls ``lachan.monitoring.engine.run(concurrency=, per_host=, once=, name=)`` (None: the engine's
defaults from settings). ``check`` runs one full check without the database (``checking/cli.py``); its
exit codes are listed in ``lachan monitor check --help`` (0 ok, 1 suspicious, 2 compromised, 3 down,
4 error — usage errors too, so they never read as "compromised").

Like ``lachan.core.commands.SubcommandCommand``, but the subcommand is optional (none means ``run``).
"""

from django.core.management.base import BaseCommand

from lachan.monitoring.checking.cli import EXIT_ERROR, add_check_arguments, run_check


def add_run_arguments(parser):
    parser.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="checks in flight in this process (default: MONITOR_CONCURRENCY)")
    parser.add_argument("--per-host", type=int, default=None, metavar="N",
                        help="connections per host (default: MONITOR_PER_HOST)")
    parser.add_argument("--once", action="store_true", help="check the sites due now, then stop")
    parser.add_argument("--name", default=None, metavar="NAME",
                        help="this monitor's name in the claims (default: host name and process id)")


def run_run(command, *, concurrency=None, per_host=None, once=False, name=None, skip_checks=False, **_options):
    if not skip_checks:
        command.check()
    from lachan.monitoring import engine

    engine.run(concurrency=concurrency, per_host=per_host, once=once, name=name)


SUBCOMMANDS = {
    "run": (add_run_arguments, run_run, "run the monitor: claim due sites and check them until stopped"),
    "check": (add_check_arguments, run_check, "check one website now and print the verdict and findings"),
}


def _usage_errors_exit_with(parser, code):
    """argparse exits 2 on a usage error — the code of "compromised" here: make it ``code``."""
    original = parser.exit

    def exit_(status=0, message=None):
        original(code if status == 2 else status, message)

    parser.exit = exit_


class Command(BaseCommand):
    help = ("The website monitor. 'monitor' or 'monitor run': check the watched sites until stopped. "
            "'monitor check URL [--json] [--baseline FILE] [--allow-private]': one full check of a website "
            "(exit 0 ok, 1 suspicious, 2 compromised, 3 down, 4 error).")
    requires_system_checks = []  # 'check' never touches the database; 'run' runs the checks itself
    requires_migrations_checks = False

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _usage_errors_exit_with(parser, EXIT_ERROR)
        return parser

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=False, metavar="SUBCOMMAND")
        for name, (add_arguments, _run, help_text) in SUBCOMMANDS.items():
            subparser = sub.add_parser(name, help=help_text, description=help_text)
            _usage_errors_exit_with(subparser, EXIT_ERROR)
            add_arguments(subparser)

    def handle(self, *args, subcommand=None, **options):
        SUBCOMMANDS[subcommand or "run"][1](self, **options)
