from django.core.management.base import BaseCommand, CommandError

from lachan.core.audit import acting_as
from lachan.core.exports import export_filename, write_workbook
from lachan.core.import_cli import (
    add_export_arguments,
    add_import_arguments,
    find_actor,
    report,
    write_output,
)
from lachan.inventory.importers import EXPORTERS, IMPORTERS, InventoryImporter

KINDS = list(IMPORTERS)


class Command(BaseCommand):
    help = ("Inventory: 'inventory import FILE [--kind K] [--dry-run]' (a CSV of one kind, or an XLSX with a sheet "
            "per kind; all rows or none) and 'inventory export --kind K|all --format csv|xlsx [-o FILE]'. "
            f"Kinds: {', '.join(KINDS)}.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import systems, hosts, prefixes, domains, websites, software")
        add_import_arguments(imp)
        imp.add_argument("--kind", choices=KINDS, help="what a CSV holds (default: recognised from its header); "
                                                       "for a workbook: import only the sheets of this kind")
        exp = sub.add_parser("export", help="export one kind (or all, as one workbook); re-importable")
        exp.add_argument("--kind", choices=[*KINDS, "all"], required=True)
        add_export_arguments(exp, default_format="csv")

    def handle(self, *args, action, **options):
        if action == "import":
            self.do_import(**options)
        else:
            self.do_export(**options)

    def do_import(self, *, file, dry_run, encoding, actor, json, kind, **_):
        actor_user = find_actor(actor)
        with acting_as(actor_user):
            result = InventoryImporter(actor=actor_user, kind=kind).run_path(file, dry_run=dry_run, encoding=encoding)
        report(self, result, as_json=json)

    def do_export(self, *, kind, format, output, json, **_):
        # The CLI acts as a coordinator: every object.
        if kind == "all":
            if format != "xlsx":
                raise CommandError("--kind all cần --format xlsx (one workbook, a sheet per kind)")
            parts = [(EXPORTERS[k], IMPORTERS[k].model.objects.all()) for k in KINDS]
            content = write_workbook(parts)
            write_output(self, content, export_filename("kiem-ke", format), output,
                         rows=sum(qs.count() for _e, qs in parts), as_json=json)
            return
        exporter, queryset = EXPORTERS[kind], IMPORTERS[kind].model.objects.all()
        content, _content_type, _name = exporter.render(queryset, format)
        write_output(self, content, export_filename(exporter.file_stem, format), output, rows=queryset.count(),
                     as_json=json)
