"""`lachan demo load [--json]`: load the demo data shipped in lachan/demo/ (see lachan/demo/loader.py)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lachan.demo import loader


class Command(BaseCommand):
    help = (
        "Demo data: `demo load` loads the Hải Phòng unit tree (the 88 units of the appendix of letter 03/STTTT-BCVT "
        "in their 7 groups), the other senders/recipients of the seed letters, contacts, the external contact "
        "directory, a fictional inventory and demo accounts. Idempotent: existing objects are left alone. "
        f"Password of the demo accounts: ${loader.PASSWORD_ENV} or {loader.DEFAULT_PASSWORD}."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load the demo data (safe to run again)")
        load.add_argument("--json", action="store_true", help="Print the summary as JSON")

    def handle(self, *args, action, **options):
        if action == "load":
            self.load(as_json=options["json"])

    def load(self, *, as_json):
        try:
            result = loader.load()
        except loader.DemoDataError as exc:
            raise CommandError(_("Demo data not loaded: %(error)s") % {"error": exc}) from None
        if as_json:
            summary = result.as_dict() | {"two_factor_required_roles": list(settings.TWO_FACTOR_REQUIRED_ROLES)}
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        created = result.total_created
        existing = sum(result.existing.values())
        if created:
            self.stdout.write(_("Demo data loaded: %(created)d created, %(existing)d already present.")
                              % {"created": created, "existing": existing})
        else:
            self.stdout.write(_("Demo data already loaded: nothing created (%(existing)d already present).")
                              % {"existing": existing})
        for model in loader.SUMMARY_MODELS:
            name = model._meta.model_name
            self.stdout.write("  " + _("%(label)s: %(created)d created, %(existing)d already present")
                              % {"label": model._meta.verbose_name_plural, "created": result.created[name],
                                 "existing": result.existing[name]})
        if result.group_links:
            self.stdout.write("  " + _("unit group links added to existing units: %(count)d") % {"count": result.group_links})
        self.stdout.write("\n".join(loader.account_lines(result.accounts)))
