"""The website watch: one ``WatchedSite`` per monitored inventory website, its checks, page snapshots
(the baselines among them), alerts and a timeline of events.

Every row reaches its unit through the website (``scope_unit = "website__unit"``). The engine
(``lachan monitor``) claims due sites with a conditional UPDATE on ``next_check_at``/``claimed_until``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lachan.core.models import ScopedModel

from .choices import AlertState, EventKind, FindingKind, Severity, SiteStatus, Verdict

SITE_SCOPE = "website__unit"
CHILD_SCOPE = "site__website__unit"


class WatchedSite(ScopedModel):
    website = models.OneToOneField("inventory.Website", verbose_name=_("website"), on_delete=models.CASCADE,
                                   related_name="watch")
    enabled = models.BooleanField(_("monitoring enabled"), default=True)
    interval_seconds = models.PositiveIntegerField(_("check interval (seconds)"), default=300)
    deep_every = models.PositiveSmallIntegerField(
        _("deep check every N checks"), default=6,
        help_text=_("A deep check adds the cloaking probes, the sub-pages and the sitemap sample."))
    subpages = models.TextField(_("sub-pages"), blank=True, help_text=_("One path or URL of the same site per line"))
    sitemap_sample = models.PositiveSmallIntegerField(_("sitemap URLs sampled per deep check"), default=3)

    # Scheduling and claiming (the engine only).
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True, db_index=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    check_count = models.PositiveIntegerField(_("checks"), default=0)
    deep_next = models.BooleanField(
        _("next check is deep"), default=False,
        help_text=_("Set by a re-check of a finding only a deep check sees, or by an operator's 'check now'."))

    # Current state.
    status = models.CharField(_("status"), max_length=10, choices=SiteStatus.choices, default=SiteStatus.PENDING)
    status_since = models.DateTimeField(_("status since"), null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    final_url = models.URLField(_("final URL"), max_length=2000, blank=True)
    tls_days_left = models.IntegerField(_("TLS days left"), null=True, blank=True)
    dns_answers = models.JSONField(_("DNS answers"), default=dict, blank=True)
    page_hashes = models.JSONField(
        _("page content hashes"), default=dict, blank=True,
        help_text=_("Content hash of the last snapshot kept of each page URL (the engine only)."))
    analysed_pages = models.JSONField(
        _("last page analyses"), default=dict, blank=True,
        help_text=_("Per page URL, the digest of the bytes last analysed with their findings, reused while the "
                    "bytes and the baseline stay the same (the engine only)."))

    scope_unit = SITE_SCOPE

    class Meta:
        ordering = ["website__unit__path", "website__url"]
        verbose_name = _("watched website")
        verbose_name_plural = _("watched websites")
        indexes = [models.Index(fields=["enabled", "next_check_at"], name="watch_due_idx")]

    def __str__(self):
        return str(self.website)

    def get_absolute_url(self):
        return reverse("monitoring:site_detail", args=[self.pk])

    @property
    def unit(self):
        return self.website.unit

    def subpage_list(self):
        return [line.strip() for line in self.subpages.splitlines() if line.strip()]


class Check(ScopedModel):
    """One check of a site (kept ``MONITOR_HISTORY_DAYS`` days). ``findings`` as ``CheckFinding.to_json()``."""

    site = models.ForeignKey(WatchedSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    deep = models.BooleanField(_("deep check"), default=False)
    url = models.URLField(_("URL"), max_length=2000)
    final_url = models.URLField(_("final URL"), max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    tls_days_left = models.IntegerField(_("TLS days left"), null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices)
    error_kind = models.CharField(_("error kind"), max_length=30, blank=True)
    error_message = models.CharField(_("error"), max_length=500, blank=True)
    findings = models.JSONField(_("findings"), default=list, blank=True)
    worker = models.CharField(_("checked by"), max_length=100, blank=True)

    scope_unit = CHILD_SCOPE

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        indexes = [models.Index(fields=["site", "-checked_at"], name="check_site_time_idx")]

    def __str__(self):
        return f"{self.site} @ {self.checked_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("monitoring:site_detail", args=[self.site_id])


class Snapshot(ScopedModel):
    """A page as it was: kept when its content changed (``content_hash`` of the normalised text), and
    as the baseline (``is_baseline``: the last good version of that URL, one per site and URL)."""

    site = models.ForeignKey(WatchedSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="snapshots")
    url = models.URLField(_("URL"), max_length=2000)
    taken_at = models.DateTimeField(_("taken at"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("visible text"), blank=True)
    features = models.JSONField(_("page features"), default=dict)
    is_baseline = models.BooleanField(_("baseline"), default=False)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    scope_unit = CHILD_SCOPE

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("page snapshot")
        verbose_name_plural = _("page snapshots")
        constraints = [
            models.UniqueConstraint(fields=["site", "url"], condition=Q(is_baseline=True), name="snapshot_one_baseline"),
        ]
        indexes = [models.Index(fields=["site", "url", "-taken_at"], name="snapshot_site_url_idx")]

    def __str__(self):
        return f"{self.url} @ {self.taken_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("monitoring:site_detail", args=[self.site_id])


class Alert(ScopedModel):
    """A condition on a site: at most one open alert per (site, kind, url)."""

    site = models.ForeignKey(WatchedSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=30, choices=FindingKind.choices)
    url = models.URLField(_("page"), max_length=2000, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("state"), max_length=20, choices=AlertState.choices, default=AlertState.SUSPECTED)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)  # hostile text: always shown escaped
    signature = models.CharField(_("evidence signature"), max_length=64, blank=True,
                                 help_text=_("Identifies the evidence, so a false positive is not raised again."))
    opened_at = models.DateTimeField(_("opened"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    first_check = models.ForeignKey(Check, verbose_name=_("first check"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    recovery_notified_at = models.DateTimeField(_("recovery notified"), null=True, blank=True)

    scope_unit = CHILD_SCOPE

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "url"],
                                    condition=Q(state__in=["suspected", "confirmed", "acknowledged"]),
                                    name="alert_one_open_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.site}"

    def get_absolute_url(self):
        return reverse("monitoring:alert_detail", args=[self.pk])


class SiteEvent(ScopedModel):
    """The site's timeline: status changes, alerts and what people did with them."""

    site = models.ForeignKey(WatchedSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(_("message"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    scope_unit = CHILD_SCOPE

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("site event")
        verbose_name_plural = _("site events")

    def __str__(self):
        return f"{self.get_kind_display()} — {self.site}"

    def get_absolute_url(self):
        return reverse("monitoring:site_detail", args=[self.site_id])
