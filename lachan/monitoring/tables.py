"""Tables of the website watch (django-tables2) and the health colours of the status board."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.tables import ObjectTable
from lachan.core.templatetags.lachan_ui import display_date

from .choices import Severity, SiteStatus, Verdict
from .models import Alert, Check, SiteEvent, Snapshot, WatchedSite

TLS_SOON_DAYS = 14

# health → (label, background, text colour). The order is the board's default order (worst first).
HEALTH = {
    "compromised": (pgettext_lazy("site health", "Compromised"), "#7a0012", "#fff"),
    "down": (pgettext_lazy("site health", "Down"), "#dc3545", "#fff"),
    "suspicious": (pgettext_lazy("site health", "Suspicious"), "#fd7e14", "#000"),
    "degraded": (pgettext_lazy("site health", "Degraded"), "#ffc107", "#000"),
    "up": (pgettext_lazy("site health", "Up"), "#198754", "#fff"),
    "pending": (pgettext_lazy("site health", "Not checked yet"), "#6c757d", "#fff"),
    "disabled": (pgettext_lazy("site health", "Not monitored"), "#adb5bd", "#000"),
}
HEALTH_ORDER = tuple(HEALTH)

SEVERITY_CSS = {
    Severity.CRITICAL: "text-bg-danger", Severity.HIGH: "text-bg-warning", Severity.MEDIUM: "text-bg-info",
    Severity.LOW: "text-bg-secondary", Severity.INFO: "text-bg-light",
}
VERDICT_HEALTH = {Verdict.OK: "up", Verdict.DOWN: "down", Verdict.SUSPICIOUS: "suspicious",
                  Verdict.COMPROMISED: "compromised"}


def site_health(site):
    """One word for the board's colour: compromised > down > suspicious > degraded > up > pending."""
    if not site.enabled:
        return "disabled"
    if site.verdict == Verdict.COMPROMISED:
        return "compromised"
    if site.status == SiteStatus.DOWN:
        return "down"
    if site.verdict == Verdict.SUSPICIOUS:
        return "suspicious"
    if site.status == SiteStatus.DEGRADED:
        return "degraded"
    if site.status == SiteStatus.UP:
        return "up"
    return "pending"


def health_badge(health):
    label, background, colour = HEALTH[health]
    return format_html('<span class="badge lc-health-{}" style="background-color:{};color:{}">{}</span>',
                       health, background, colour, label)


def verdict_badge(verdict, label):
    if not verdict:
        return format_html('<span class="text-body-secondary">—</span>')
    _label, background, colour = HEALTH[VERDICT_HEALTH.get(verdict, "pending")]
    return format_html('<span class="badge" style="background-color:{};color:{}">{}</span>', background, colour, label)


def severity_badge(severity, label):
    return format_html('<span class="badge {}">{}</span>', SEVERITY_CSS.get(severity, "text-bg-secondary"), label)


def tls_cell(days):
    if days is None:
        return format_html('<span class="text-body-secondary">—</span>')
    if days <= TLS_SOON_DAYS:
        return format_html('<span class="badge text-bg-{}">{}</span>', "danger" if days <= 3 else "warning", days)
    return days


def _row_style(record):
    return f"border-left: .4rem solid {HEALTH[site_health(record)][1]}"


class SiteTable(ObjectTable):
    """The status board (rows are annotated with ``open_alert_count``)."""

    site = tables.Column(accessor="website__url", verbose_name=_("website"), order_by=("website__url",))
    unit = tables.Column(accessor="website__unit", verbose_name=_("unit"), order_by=("website__unit__path",))
    status = tables.Column(verbose_name=_("status"), order_by=("health_rank", "website__url"))
    verdict = tables.Column()
    open_alert_count = tables.Column(verbose_name=_("open alerts"), order_by=("-open_alert_count",))
    last_checked_at = tables.Column()
    last_latency_ms = tables.Column()
    last_http_status = tables.Column()
    tls_days_left = tables.Column()

    class Meta(ObjectTable.Meta):
        model = WatchedSite
        fields = ("site", "unit", "status", "verdict", "open_alert_count", "last_checked_at", "last_latency_ms",
                  "last_http_status", "tls_days_left")
        row_attrs = {"style": _row_style, "data-health": lambda record: site_health(record)}

    def render_site(self, record):
        website = record.website
        name = format_html('<div class="small text-body-secondary text-break">{}</div>', website.url) \
            if website.name else ""
        return format_html('<a href="{}">{}</a>{}', record.get_absolute_url(), website.name or website.url, name)

    def render_unit(self, value):
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value)

    def render_status(self, record):
        return health_badge(site_health(record))

    def render_verdict(self, record):
        return verdict_badge(record.verdict, record.get_verdict_display())

    def render_open_alert_count(self, value, record):
        if not value:
            return "0"
        return format_html('<a class="badge text-bg-danger" href="{}?site={}&is_open=true">{}</a>',
                           _alert_list_url(), record.pk, value)

    def render_last_checked_at(self, value):
        return display_date(value)

    def render_tls_days_left(self, value):
        return tls_cell(value)


def _alert_list_url():
    from django.urls import reverse

    return reverse("monitoring:alert_list")


class AlertTable(ObjectTable):
    opened_at = tables.Column(linkify=True)
    site = tables.Column(linkify=True, order_by=("site__website__url",))
    unit = tables.Column(accessor="site__website__unit", verbose_name=_("unit"), linkify=True,
                         order_by=("site__website__unit__path",))
    kind = tables.Column()
    severity = tables.Column()

    class Meta(ObjectTable.Meta):
        model = Alert
        fields = ("opened_at", "site", "unit", "kind", "severity", "state", "summary", "url", "last_seen_at")

    def render_opened_at(self, value):
        return display_date(value)

    def render_last_seen_at(self, value):
        return display_date(value)

    def render_severity(self, record):
        return severity_badge(record.severity, record.get_severity_display())

    def render_url(self, value):
        return format_html('<span class="small text-break">{}</span>', value)


class CheckTable(ObjectTable):
    checked_at = tables.Column()
    site = tables.Column(linkify=True, order_by=("site__website__url",))

    class Meta(ObjectTable.Meta):
        model = Check
        fields = ("checked_at", "site", "url", "deep", "http_status", "latency_ms", "tls_days_left", "verdict",
                  "error_kind", "error_message")

    def render_checked_at(self, value):
        return display_date(value)

    def render_verdict(self, record):
        return verdict_badge(record.verdict, record.get_verdict_display())

    def render_url(self, value):
        return format_html('<span class="small text-break">{}</span>', value)


class SnapshotTable(ObjectTable):
    taken_at = tables.Column(linkify=("monitoring:snapshot_detail", {"pk": tables.A("pk")}))
    site = tables.Column(linkify=True, order_by=("site__website__url",))

    class Meta(ObjectTable.Meta):
        model = Snapshot
        fields = ("taken_at", "site", "url", "title", "is_baseline", "accepted_by")

    def render_taken_at(self, value):
        return display_date(value)


class SiteEventTable(ObjectTable):
    at = tables.Column()
    site = tables.Column(linkify=True, order_by=("site__website__url",))
    alert = tables.Column(linkify=True)

    class Meta(ObjectTable.Meta):
        model = SiteEvent
        fields = ("at", "site", "kind", "message", "alert", "user")

    def render_at(self, value):
        return display_date(value)
