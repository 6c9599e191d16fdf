from django.core.management.base import BaseCommand, CommandError

from lachan.core.audit import acting_as
from lachan.core.exports import export_filename
from lachan.core.import_cli import (
    add_export_arguments,
    add_import_arguments,
    find_actor,
    report,
    write_output,
)
from lachan.organizations.importers import UnitImporter, unit_exporter
from lachan.organizations.models import Unit


class Command(BaseCommand):
    help = ("Units: 'units import FILE [--parent CODE] [--dry-run]' (CSV, XLSX or a letter's appendix table; "
            "all rows or none) and 'units export [--format csv|xlsx] [-o FILE]'.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import units from CSV/XLSX or an appendix table")
        add_import_arguments(imp)
        imp.add_argument("--parent", metavar="CODE", help="put the units without a parent under this unit")
        exp = sub.add_parser("export", help="export every unit (re-importable)")
        add_export_arguments(exp)

    def handle(self, *args, action, **options):
        if action == "import":
            self.do_import(**options)
        else:
            self.do_export(**options)

    def do_import(self, *, file, dry_run, encoding, actor, json, parent, **_):
        parent_unit = None
        if parent:
            parent_unit = Unit.objects.filter(code=parent).first()
            if parent_unit is None:
                raise CommandError(f"Không có đơn vị mã {parent!r} (unknown unit code)")
        actor_user = find_actor(actor)
        importer = UnitImporter(actor=actor_user, parent=parent_unit)
        with acting_as(actor_user):
            result = importer.run_path(file, dry_run=dry_run, encoding=encoding)
        report(self, result, as_json=json)

    def do_export(self, *, format, output, json, **_):
        exporter = unit_exporter()
        queryset = Unit.objects.all()  # the CLI acts as a coordinator
        content, _content_type, _name = exporter.render(queryset, format)
        write_output(self, content, export_filename(exporter.file_stem, format), output, rows=queryset.count(),
                     as_json=json)
