"""CSV/XLSX exports of list views.

``ObjectListView`` calls ``exporter(queryset, fmt)`` with the queryset it has already passed through
``restrict()`` and its filterset, so an export holds exactly what the user sees in the list. An
exporter built from an importer writes the importer's columns: every export can be imported again.
Cells are neutralised against formula injection by ``core.tabular``.
"""

import datetime

from django.http import HttpResponse
from django.utils import timezone

from lachan.core import tabular

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def format_cell(value):
    """Dates as dd/mm/yyyy (what users type, and what the importers read), booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if timezone.is_aware(value) else \
            value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def export_filename(stem, fmt, today=None):
    """``he-thong-thong-tin-2026-11-23.xlsx``: the date is today's in the site's time zone."""
    today = today or timezone.localdate()
    return f"{stem}-{today.isoformat()}.{fmt}"


class Exporter:
    """A callable ``(queryset, fmt) → HttpResponse`` (an instance, so that it is not bound as a method
    when set as a view attribute)."""

    def __init__(self, columns, *, title, file_stem, prepare=None):
        self.columns = tuple(columns)
        self.title = title
        self.file_stem = file_stem
        self.prepare = prepare

    @classmethod
    def for_importer(cls, importer_class):
        return cls(importer_class.columns, title=importer_class.title(), file_stem=importer_class.file_stem,
                   prepare=importer_class.export_queryset)

    def header(self):
        return [column.name for column in self.columns]

    def rows(self, queryset):
        if self.prepare is not None:
            queryset = self.prepare(queryset)
        for obj in queryset.iterator(chunk_size=2000):
            yield [format_cell(column.export_value(obj)) for column in self.columns]

    def sheet(self, queryset):
        return (self.title, self.header(), self.rows(queryset))

    def render(self, queryset, fmt):
        """``(content, content_type, filename)``."""
        if fmt == "csv":
            content = tabular.write_csv(self.header(), self.rows(queryset))
        elif fmt == "xlsx":
            content = tabular.write_xlsx([self.sheet(queryset)])
        else:
            raise ValueError(fmt)
        return content, CONTENT_TYPES[fmt], export_filename(self.file_stem, fmt)

    def __call__(self, queryset, fmt):
        content, content_type, filename = self.render(queryset, fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def write_workbook(parts):
    """Several exports in one XLSX workbook: ``[(exporter, queryset), ...]`` → bytes."""
    return tabular.write_xlsx([exporter.sheet(queryset) for exporter, queryset in parts])
