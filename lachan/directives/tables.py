import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .models import Directive, Dispatch, TaskAnswer


class DirectiveTable(ObjectTable):
    number = tables.Column(linkify=True, verbose_name=_("Number"))
    subject = tables.Column(linkify=True)
    unit = UnitColumn(verbose_name=_("Issuing unit"))
    date = tables.DateColumn(format="d/m/Y")

    class Meta(ObjectTable.Meta):
        model = Directive
        fields = ("number", "date", "subject", "unit", "doc_type", "status")


class DispatchTable(ObjectTable):
    directive = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name=_("Directive"))
    unit = UnitColumn(verbose_name=_("Recipient unit"))
    created = tables.DateTimeColumn(format="d/m/Y H:i", verbose_name=_("Received"))
    acknowledged_at = tables.DateTimeColumn(format="d/m/Y H:i")

    class Meta(ObjectTable.Meta):
        model = Dispatch
        fields = ("directive", "unit", "created", "acknowledged_at")


class TaskAnswerTable(ObjectTable):
    task = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name=_("Task"))
    unit = UnitColumn()
    answered_at = tables.DateTimeColumn(format="d/m/Y H:i")

    class Meta(ObjectTable.Meta):
        model = TaskAnswer
        fields = ("task", "unit", "status", "note", "answered_at")
