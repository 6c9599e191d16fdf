from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.choices import Severity  # noqa: F401  (the shared scale, re-exported)


class SiteStatus(models.TextChoices):
    """Availability, confirmed: a site turns DOWN after ``MONITOR_DOWN_CONFIRMATIONS`` failed checks in a row."""

    PENDING = "pending", _("Not checked yet")
    UP = "up", pgettext_lazy("site status", "Up")
    DEGRADED = "degraded", pgettext_lazy("site status", "Degraded")
    DOWN = "down", pgettext_lazy("site status", "Down")


class Verdict(models.TextChoices):
    """The verdict of one check (the keys of ``lachan monitor check --json``)."""

    OK = "ok", pgettext_lazy("verdict", "OK")
    DOWN = "down", pgettext_lazy("verdict", "Down")
    SUSPICIOUS = "suspicious", pgettext_lazy("verdict", "Suspicious")
    COMPROMISED = "compromised", pgettext_lazy("verdict", "Compromised")


class FindingKind(models.TextChoices):
    DOWN = "down", _("Site down")
    TLS_EXPIRING = "tls_expiring", _("TLS certificate expiring")
    TLS_INVALID = "tls_invalid", _("TLS certificate invalid")
    DNS_CHANGED = "dns_changed", _("DNS records changed")
    DEFACEMENT = "defacement", _("Defacement")
    GAMBLING_INJECTION = "gambling_injection", _("Gambling/SEO-spam injection")
    HIDDEN_LINKS = "hidden_links", _("Hidden links")
    CLOAKING = "cloaking", _("Cloaking")
    MALICIOUS_SCRIPT = "malicious_script", _("Malicious script")
    REDIRECT_OFFSITE = "redirect_offsite", _("Redirect to another site")
    NEW_OUTBOUND_LINKS = "new_outbound_links", _("New outbound links")
    NEW_IFRAME = "new_iframe", _("New iframe")


class AlertState(models.TextChoices):
    """SUSPECTED: seen once; CONFIRMED: seen again on the re-check (down: after the confirmations).
    ACKNOWLEDGED: an operator took it; RESOLVED: the condition is gone (a recovery notice is sent);
    FALSE_POSITIVE: an operator said the finding is wrong (the same evidence is not raised again)."""

    SUSPECTED = "suspected", _("Suspected")
    CONFIRMED = "confirmed", _("Confirmed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    FALSE_POSITIVE = "false_positive", _("False positive")


OPEN_ALERT_STATES = (AlertState.SUSPECTED, AlertState.CONFIRMED, AlertState.ACKNOWLEDGED)


class EventKind(models.TextChoices):
    STATUS_CHANGED = "status_changed", _("Status changed")
    ALERT_OPENED = "alert_opened", _("Alert opened")
    ALERT_CONFIRMED = "alert_confirmed", _("Alert confirmed")
    ALERT_RESOLVED = "alert_resolved", _("Alert resolved")
    ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Alert acknowledged")
    FALSE_POSITIVE = "false_positive", _("Marked as false positive")
    BASELINE_ACCEPTED = "baseline_accepted", _("Current page accepted as baseline")
    NOTIFIED = "notified", _("Notification sent")
    CONTENT_CHANGED = "content_changed", _("Content changed")
