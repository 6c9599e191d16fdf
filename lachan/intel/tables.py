import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .choices import CaseStatus
from .models import AsnAssignment, Case, Feed, FeedImport, FeedUpload, Indicator, Notification, Sighting

STATUS_BADGES = {
    CaseStatus.OPEN: "text-bg-warning",
    CaseStatus.CLEANED: "text-bg-info",
    CaseStatus.CLOSED: "text-bg-success",
    CaseStatus.REINFECTED: "text-bg-danger",
}


def status_badge(case):
    css = STATUS_BADGES.get(case.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', css, case.get_status_display())


class FeedTable(ObjectTable):
    name = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Feed
        fields = ("name", "source_organization", "default_format", "default_tlp", "complete_list", "is_active")


class FeedImportTable(ObjectTable):
    started = tables.Column(linkify=True)
    feed = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = FeedImport
        fields = ("started", "feed", "file_name", "tlp", "rows", "bad_rows", "matched", "unmatched", "bogon",
                  "cases_new", "cases_reinfected", "cases_closed")


class FeedUploadTable(ObjectTable):
    created = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = FeedUpload
        fields = ("created", "file_name", "feed", "new_feed", "dry_run", "status", "uploaded_by", "finished")


class CaseTable(ObjectTable):
    ip = tables.Column(linkify=True)
    unit = UnitColumn()
    status = tables.Column()

    class Meta(ObjectTable.Meta):
        model = Case
        fields = ("ip", "family", "status", "unit", "first_seen", "last_seen", "sightings_count", "reinfections")

    def render_status(self, record):
        return status_badge(record)

    def render_reinfections(self, value):
        if value:
            return format_html('<span class="badge text-bg-danger">{}</span>', value)
        return value


class SightingTable(ObjectTable):
    ip = tables.Column(linkify=True)
    unit = UnitColumn()
    case = tables.Column(linkify=True, verbose_name=_("case"))
    feed_import = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Sighting
        fields = ("ip", "family", "seen", "unit", "case", "feed_import", "port", "protocol", "destination", "count")


class AsnAssignmentTable(ObjectTable):
    asn = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = AsnAssignment
        fields = ("asn", "unit", "description")


class IndicatorTable(ObjectTable):
    value = tables.Column(linkify=True)
    feed = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = Indicator
        fields = ("value", "kind", "feed", "first_seen", "last_seen", "expires_at")


class NotificationTable(ObjectTable):
    subject = tables.Column(linkify=True)
    unit = UnitColumn()

    class Meta(ObjectTable.Meta):
        model = Notification
        fields = ("subject", "unit", "channel", "status", "attachment_rows", "sent_at")
