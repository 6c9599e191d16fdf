"""Base for the ``lachan`` commands made of subcommands (``feeds import``, ``vulns match``, …)."""

from django.core.management.base import BaseCommand


class SubcommandCommand(BaseCommand):
    """A command whose first argument picks one of ``subcommands``:
    ``{name: (add_arguments(parser), run(command, **options), help)}``."""

    subcommands = {}

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, (add_arguments, _run, help_text) in self.subcommands.items():
            add_arguments(sub.add_parser(name, help=help_text))

    def handle(self, *args, subcommand, **options):
        self.subcommands[subcommand][1](self, **options)
