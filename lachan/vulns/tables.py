import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .models import (
    Advisory,
    AdvisoryImport,
    CampaignAnswer,
    Finding,
    ScanImport,
    SlaPolicy,
    SoftwareAlias,
    WarningCampaign,
)

SEVERITY_BADGES = {"critical": "text-bg-danger", "high": "text-bg-warning", "medium": "text-bg-info",
                   "low": "text-bg-secondary", "info": "text-bg-light"}


def severity_badge(record):
    css = SEVERITY_BADGES.get(record.severity, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, record.get_severity_display())


def kev_badge(value):
    return format_html('<span class="badge text-bg-danger">{}</span>', "KEV") if value else ""


class AdvisoryTable(ObjectTable):
    cve_id = tables.Column(linkify=True)
    severity = tables.Column()
    kev = tables.Column()

    class Meta(ObjectTable.Meta):
        model = Advisory
        fields = ("cve_id", "severity", "base_score", "cvss_version", "kev", "published", "last_modified", "status")

    def render_severity(self, record):
        return severity_badge(record)

    def render_kev(self, value):
        return kev_badge(value)


class AdvisoryImportTable(ObjectTable):
    started = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = AdvisoryImport
        fields = ("started", "file_name", "format", "status", "created_count", "updated_count", "unchanged_count",
                  "errors")


class SoftwareAliasTable(ObjectTable):
    vendor = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = SoftwareAlias
        fields = ("vendor", "product", "cpe_vendor", "cpe_product", "confirmed_by", "confirmed_at")


class SlaPolicyTable(ObjectTable):
    name = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = SlaPolicy
        fields = ("name", "is_active", "critical_days", "high_days", "medium_days", "low_days", "kev_days")


class FindingTable(ObjectTable):
    title = tables.Column(linkify=True)
    unit = UnitColumn()
    host = tables.Column(linkify=True)
    severity = tables.Column()
    kev = tables.Column()

    class Meta(ObjectTable.Meta):
        model = Finding
        fields = ("title", "cve_id", "severity", "cvss", "kev", "status", "unit", "host", "source", "due_date",
                  "last_seen")
        order_by = ("-kev", "due_date")

    def render_severity(self, record):
        return severity_badge(record)

    def render_kev(self, value):
        return kev_badge(value)

    def render_due_date(self, record, value):
        if value is None:
            return "—"
        if record.overdue:
            return format_html('<span class="badge text-bg-danger">{}</span>', value.strftime("%d/%m/%Y"))
        return value.strftime("%d/%m/%Y")


class ScanImportTable(ObjectTable):
    file_name = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = ScanImport
        fields = ("file_name", "unit", "format", "status", "hosts", "findings", "new", "closed", "reopened",
                  "unknown_hosts_count", "created")


class WarningCampaignTable(ObjectTable):
    title = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = WarningCampaign
        fields = ("title", "number", "issuer", "issued_on", "deadline")


class CampaignAnswerTable(ObjectTable):
    campaign = tables.Column(linkify=True)
    unit = UnitColumn()
    status = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name=_("answer"))

    class Meta(ObjectTable.Meta):
        model = CampaignAnswer
        fields = ("campaign", "unit", "status", "affected", "open_findings", "answered_at")
