import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .models import Incident, IncidentComment, IncidentEvidence, ReportingRule


class IncidentTable(ObjectTable):
    id = tables.Column(linkify=True, verbose_name="#")
    title = tables.Column(linkify=True)
    unit = UnitColumn(verbose_name=_("Reporting unit"))
    detected_at = tables.DateTimeColumn(format="d/m/Y H:i")
    serious = tables.BooleanColumn()
    is_overdue = tables.Column(verbose_name=_("Reporting"), orderable=False, empty_values=())

    class Meta(ObjectTable.Meta):
        model = Incident
        fields = ("id", "title", "unit", "incident_type", "severity", "status", "serious", "detected_at",
                  "is_overdue")

    def render_is_overdue(self, record):
        if getattr(record, "is_overdue", False):
            return format_html('<span class="badge text-bg-danger">{}</span>', _("Overdue"))
        return "—"


class IncidentCommentTable(ObjectTable):
    body = tables.Column(linkify=True, verbose_name=_("Comment"))
    incident = tables.Column(linkify=True)
    author = tables.Column()
    created = tables.DateTimeColumn(format="d/m/Y H:i")

    class Meta(ObjectTable.Meta):
        model = IncidentComment
        fields = ("body", "incident", "author", "created")

    def render_body(self, value):
        return value[:120]


class IncidentEvidenceTable(ObjectTable):
    file_name = tables.Column(linkify=True)
    incident = tables.Column(linkify=True)
    created = tables.DateTimeColumn(format="d/m/Y H:i")

    class Meta(ObjectTable.Meta):
        model = IncidentEvidence
        fields = ("file_name", "incident", "file_type", "size", "sha256", "uploaded_by", "created")


class ReportingRuleTable(ObjectTable):
    name = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = ReportingRule
        fields = ("name", "kind", "applies_to", "hours", "month", "day", "recipient", "is_active")
