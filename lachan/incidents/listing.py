"""List pages of the sent reports and the emergency response plans: their filtersets (one for UI list, export
and API) and tables. Overdue plan reviews are rows in red and a filter."""

import django_filters
import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lachan.core.filtersets import UnitScopedFilterSet
from lachan.core.tables import ObjectTable, UnitColumn

from .filtersets import IncidentChildFilterSet
from .models import IncidentReport, ResponsePlan
from .plans import overdue_q


class IncidentReportFilterSet(IncidentChildFilterSet):
    search_fields = ("subject", "note", "sha256", "incident__title")

    class Meta:
        model = IncidentReport
        fields = ["q", "incident", "unit_tree"]


class ResponsePlanFilterSet(UnitScopedFilterSet):
    search_fields = ("title", "description", "file_name", "sha256")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Review overdue"))

    class Meta:
        model = ResponsePlan
        fields = ["q", "unit", "unit_tree", "is_active", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class IncidentReportTable(ObjectTable):
    subject = tables.Column(linkify=True)
    incident = tables.Column(linkify=True)
    sent_at = tables.DateTimeColumn(format="d/m/Y H:i")
    recipients = tables.Column(orderable=False, verbose_name=_("Recipients"))

    class Meta(ObjectTable.Meta):
        model = IncidentReport
        fields = ("subject", "incident", "sent_by", "sent_at", "recipients", "sha256")

    def render_recipients(self, record):
        return ", ".join(record.recipient_emails)


class ResponsePlanTable(ObjectTable):
    title = tables.Column(linkify=True)
    unit = UnitColumn()
    approved_on = tables.DateColumn(format="d/m/Y")
    next_review_on = tables.DateColumn(format="d/m/Y")
    review = tables.Column(verbose_name=_("Review"), orderable=False, empty_values=())

    class Meta(ObjectTable.Meta):
        model = ResponsePlan
        fields = ("title", "unit", "approved_on", "review_months", "next_review_on", "is_active", "review")
        row_attrs = {"class": lambda record: "table-danger" if record.review_overdue() else ""}

    def render_review(self, record):
        if record.review_overdue():
            return format_html('<span class="badge text-bg-danger">{}</span>', _("Review overdue"))
        return format_html('<span class="badge text-bg-success">{}</span>', _("Current")) if record.is_active else "—"
