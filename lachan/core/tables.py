import django_tables2 as tables
from django.utils.translation import gettext_lazy as _


class ObjectTable(tables.Table):
    """Base table: the first column links to the object, rows are ordered server-side."""

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle"}
        per_page = 50
        empty_text = _("Nothing to show.")


class UnitColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("linkify", True)
        kwargs.setdefault("order_by", ("unit__path",))
        super().__init__(*args, **kwargs)
