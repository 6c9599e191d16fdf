import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lachan.core.tables import ObjectTable, UnitColumn

from .choices import DeliveryStatus
from .models import Delivery, NotificationPreference

STATUS_BADGES = {
    DeliveryStatus.SENT: "text-bg-success",
    DeliveryStatus.RETRY: "text-bg-warning",
    DeliveryStatus.FAILED: "text-bg-danger",
    DeliveryStatus.SENDING: "text-bg-info",
}


def delivery_badge(delivery):
    css = STATUS_BADGES.get(delivery.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', css, delivery.get_status_display())


class DeliveryTable(ObjectTable):
    created = tables.Column(linkify=True, verbose_name=_("created"))
    unit = UnitColumn()
    target = tables.Column(accessor="display_target", verbose_name=_("target"), orderable=False)
    status = tables.Column()

    class Meta(ObjectTable.Meta):
        model = Delivery
        fields = ("created", "event_key", "channel", "target", "subject", "severity", "status", "attempts",
                  "sent_at", "unit")

    def render_status(self, record):
        return delivery_badge(record)


class NotificationPreferenceTable(ObjectTable):
    user = tables.Column(linkify=lambda record: record.get_absolute_url())
    target = tables.Column(accessor="display_target", verbose_name=_("address"), orderable=False)

    class Meta(ObjectTable.Meta):
        model = NotificationPreference
        fields = ("user", "channel", "target", "enabled", "min_severity", "event_kinds", "quiet_start", "quiet_end")
