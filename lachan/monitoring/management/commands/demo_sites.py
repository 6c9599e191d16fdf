"""The demo websites on loopback (clean, defaced, gambling-injected, cloaked, down) — see lachan/demo/sites.py.

    lachan demo_sites [serve] [--host H] [--port P] [--deface-after S]   serve them until Ctrl+C
    lachan demo_sites load [--port P]        their inventory websites + watched sites (after `lachan demo load`)
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lachan.demo import sites


class Command(BaseCommand):
    help = (
        "Demo websites for the website watch (clean, defaced, gambling-injected, cloaked, down), one port each "
        f"from ${sites.PORT_ENV} (default {sites.DEFAULT_PORT}). `serve` (the default) runs them until Ctrl+C; "
        "`load` adds them to the inventory of the demo schools and watches them (run `lachan demo load` first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=("serve", "load"), default="serve")
        parser.add_argument("--host", default=sites.HOST, help="Address to listen on (default %(default)s)")
        parser.add_argument("--port", type=int, default=None,
                            help=f"First port (default ${sites.PORT_ENV} or {sites.DEFAULT_PORT})")
        parser.add_argument("--deface-after", type=float, default=sites.DEFACE_AFTER, metavar="SECONDS",
                            help="The defaced site shows its clean home page for this long after its first "
                                 "request, then the defacement (default %(default)s; 0: defaced at once)")

    def handle(self, *args, action, host, port, deface_after, **options):
        try:
            port = sites.base_port() if port is None else port
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if action == "load":
            self.load(host, port)
        else:
            self.serve(host, port, deface_after)

    def load(self, host, port):
        try:
            result = sites.load_demo_sites(urls=sites.site_urls(host, port))
        except sites.DemoSitesError as exc:
            raise CommandError(_("Demo websites not loaded: %(error)s") % {"error": exc}) from None
        self.stdout.write(_("Demo websites: %(created)d created, %(existing)d already present.")
                          % {"created": result.total_created, "existing": sum(result.existing.values())})

    def serve(self, host, port, deface_after):
        self.stdout.write(_("Demo websites (Ctrl+C to stop):"))
        self.stdout.flush()

        def announce(line):
            self.stdout.write("  " + line)
            self.stdout.flush()

        try:
            sites.serve_forever(host=host, port=port, deface_after=deface_after, announce=announce)
        except OSError as exc:
            raise CommandError(_("Demo websites not started: %(error)s") % {"error": exc}) from None
