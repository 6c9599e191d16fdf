"""Botnet / IoC feeds → owning unit → cleanup case (issue 4).

Scope:
- ``Feed``, ``FeedImport`` and ``Indicator`` are global reference data (``scope_unit = None``): every user
  reads them, coordinators write them. An import's per-unit figures and its bad-row/bogon reports are NOT
  shown from the model directly: ``selectors.import_unit_counts`` filters the per-unit counts to the units
  the user may see, and the reports are shown to coordinators and auditors only.
- ``Case``, ``Sighting``, ``Notification`` and ``AsnAssignment`` belong to a unit.
- ``UnmappedIP`` (the coordinators' queue) is visible to coordinators and auditors only
  (``CoordinatorQuerySet``): those addresses belong to no unit of ours. So is ``FeedUpload`` (an upload's
  error may quote a line of the file).
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import GLOBAL_VIEW_ROLES, Role
from lachan.core.models import ScopedModel
from lachan.core.scope import ScopedQuerySet, _nothing, user_role

from .choices import (
    TLP,
    CaseStatus,
    ImportStatus,
    IndicatorKind,
    NotificationChannel,
    NotificationStatus,
    UploadStatus,
)

COORDINATOR_ONLY = frozenset({Role.COORDINATOR})


class Feed(ScopedModel):
    """A source of lists: the national authority's monthly botnet list, Shadowserver reports, abuse.ch …"""

    name = models.CharField(_("name"), max_length=200, unique=True)
    source_organization = models.CharField(_("source organization"), max_length=300, blank=True)
    default_format = models.CharField(_("default format"), max_length=50, blank=True,
                                      help_text=_("Empty: detect the format of each file"))
    default_tlp = models.CharField(_("default TLP"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    critical_families = models.TextField(
        _("critical families"), blank=True,
        help_text=_("Malware families sent to the unit's on-duty contact at once (one per line or comma-separated)"))
    complete_list = models.BooleanField(
        _("complete list"), default=False,
        help_text=_("Each file is the full current list: cases last reported by this feed and absent from the new file are closed"))
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["name"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("intel:feed_detail", args=[self.pk])

    @property
    def critical_family_set(self):
        return {f.strip().lower() for f in self.critical_families.replace(",", "\n").splitlines() if f.strip()}


class FeedImport(ScopedModel):
    """One file of one feed, imported once (the same file again — same SHA-256 — changes nothing)."""

    feed = models.ForeignKey(Feed, verbose_name=_("feed"), on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("format"), max_length=50, blank=True)
    tlp = models.CharField(_("TLP"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.DONE)
    dry_run = models.BooleanField(_("dry run"), default=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    parsed = models.PositiveIntegerField(_("parsed rows"), default=0)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    matched = models.PositiveIntegerField(_("matched rows"), default=0)
    matched_by_asn = models.PositiveIntegerField(_("matched through the ASN"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched rows"), default=0)
    bogon = models.PositiveIntegerField(_("bogon/private rows"), default=0)
    indicators = models.PositiveIntegerField(_("indicators"), default=0)
    cases_new = models.PositiveIntegerField(_("new cases"), default=0)
    cases_reinfected = models.PositiveIntegerField(_("reinfected cases"), default=0)
    cases_closed = models.PositiveIntegerField(_("closed cases"), default=0)
    # {unit_id: {"rows": n, "ips": n, "new": n, "reinfected": n}} — shown only through selectors.import_unit_counts.
    per_unit = models.JSONField(_("per-unit counts"), default=dict, blank=True)
    # {"total": n, "rows": [[line, reason], …]} (first INTEL_BAD_ROWS_KEPT) and {"total": n, "ips": [[ip, count], …]}
    bad_report = models.JSONField(_("bad-row report"), default=dict, blank=True)
    bogon_report = models.JSONField(_("bogon report"), default=dict, blank=True)
    unmapped_not_queued = models.PositiveIntegerField(_("unmapped addresses not queued"), default=0)
    # [[asn, rows, addresses], …]: the ASNs with the most unmapped rows (candidates for an ASN assignment).
    unmapped_asns = models.JSONField(_("unmapped rows per ASN"), default=list, blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY
    detail_hidden_fields = ("per_unit", "bad_report", "bogon_report", "unmapped_asns")

    class Meta:
        ordering = ["-started"]
        constraints = [models.UniqueConstraint(fields=["feed", "sha256"], name="intel_import_once_per_file")]
        verbose_name = _("feed import")
        verbose_name_plural = _("feed imports")

    def __str__(self):
        return f"{self.feed} · {self.file_name}"

    def get_absolute_url(self):
        return reverse("intel:feedimport_detail", args=[self.pk])


class CoordinatorQuerySet(ScopedQuerySet):
    """Rows only coordinators and auditors see (and only coordinators change)."""

    coordinators_only = True  # the isolation sweep expects unit users to see none of them

    def restrict(self, user, action="view"):
        if user_role(user) not in GLOBAL_VIEW_ROLES:
            return self.filter(_nothing())
        return super().restrict(user, action)


def upload_path(instance, filename):
    return f"intel/uploads/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"


class FeedUpload(ScopedModel):
    """A file uploaded on the import page, imported by a background job (``tasks.run_feed_upload``).

    The page returns at once with this row's status page; the worker runs ``services.feed_import`` and
    records the resulting ``FeedImport`` (or, for a dry run, its counts) or the error. The stored file
    is deleted once the job has run: the import keeps the SHA-256 and the raw line of every sighting."""

    feed = models.ForeignKey(Feed, verbose_name=_("feed"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="uploads")
    new_feed = models.CharField(_("new feed"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=upload_path, max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=300)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("format"), max_length=50, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=UploadStatus.choices, default=UploadStatus.QUEUED,
                              db_index=True)
    error = models.TextField(_("error"), blank=True)
    result = models.ForeignKey(FeedImport, verbose_name=_("import"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    duplicate = models.BooleanField(_("already imported"), default=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True)  # a dry run's counts (nothing else is kept)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY
    detail_hidden_fields = ("file", "counts")
    # Coordinators and auditors only, like the bad-row reports: an error may quote a line of the file.
    objects = models.Manager.from_queryset(CoordinatorQuerySet)()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("feed upload")
        verbose_name_plural = _("feed uploads")

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("intel:feedupload_detail", args=[self.pk])

    @property
    def pending(self):
        return self.status in (UploadStatus.QUEUED, UploadStatus.RUNNING)


class Case(ScopedModel):
    """One cleanup case per (unit, IP, family): open → cleaned (the unit says so) → closed (absent from the
    next complete list of the feed, or no sighting for INTEL_CASE_CLOSE_DAYS) → reinfected if it comes back."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="intel_cases")
    ip = models.GenericIPAddressField(_("IP address"))
    family = models.CharField(_("malware family"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN,
                              db_index=True)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_import = models.ForeignKey(FeedImport, verbose_name=_("last import"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    sightings_count = models.PositiveIntegerField(_("sightings"), default=0)
    reinfections = models.PositiveIntegerField(_("reinfections"), default=0)
    cleaned_at = models.DateTimeField(_("reported cleaned at"), null=True, blank=True)
    cleaned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported cleaned by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    cleaned_note = models.TextField(_("cleanup note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    class Meta:
        ordering = ["unit__path", "ip", "family"]
        verbose_name = _("cleanup case")
        verbose_name_plural = _("cleanup cases")
        constraints = [models.UniqueConstraint(fields=["unit", "ip", "family"], name="intel_case_unique")]
        indexes = [models.Index(fields=["unit", "status"], name="intel_case_unit_status")]

    def __str__(self):
        return f"{self.ip} · {self.family or '?'}"

    def get_absolute_url(self):
        return reverse("intel:case_detail", args=[self.pk])


class Sighting(ScopedModel):
    """A case's appearance in one import (one per case and import: repeats within a file are counted)."""

    feed_import = models.ForeignKey(FeedImport, verbose_name=_("import"), on_delete=models.CASCADE,
                                    related_name="sightings")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sightings")
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="intel_sightings")
    ip = models.GenericIPAddressField(_("IP address"))
    seen = models.DateTimeField(_("seen"), null=True, blank=True)
    family = models.CharField(_("malware family"), max_length=100, blank=True)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    protocol = models.CharField(_("protocol"), max_length=20, blank=True)
    asn = models.PositiveBigIntegerField(_("ASN"), null=True, blank=True)
    destination = models.CharField(_("destination / C2"), max_length=500, blank=True)
    count = models.PositiveIntegerField(_("rows in the file"), default=1)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    raw = models.TextField(_("raw line (evidence)"), blank=True)
    via_asn = models.BooleanField(_("mapped through the ASN"), default=False)

    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["-seen", "ip"]
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        constraints = [models.UniqueConstraint(fields=["case", "feed_import"], name="intel_sighting_once_per_import")]

    def __str__(self):
        return f"{self.ip} · {self.family or '?'}"

    def get_absolute_url(self):
        return reverse("intel:sighting_detail", args=[self.pk])


class UnmappedIP(ScopedModel):
    """An address of an import that no prefix and no ASN assignment maps to (or a bogon): the coordinators' queue."""

    feed_import = models.ForeignKey(FeedImport, verbose_name=_("import"), on_delete=models.CASCADE,
                                    related_name="unmapped")
    ip = models.GenericIPAddressField(_("IP address"))
    family = models.CharField(_("malware family"), max_length=100, blank=True)
    asn = models.PositiveBigIntegerField(_("ASN"), null=True, blank=True)
    count = models.PositiveIntegerField(_("rows"), default=1)
    bogon = models.BooleanField(_("bogon/private"), default=False)
    resolved = models.BooleanField(_("resolved"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = models.Manager.from_queryset(CoordinatorQuerySet)()

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["resolved", "bogon", "asn", "-count", "ip"]
        verbose_name = _("unmapped address")
        verbose_name_plural = _("unmapped addresses")

    def __str__(self):
        return self.ip

    def get_absolute_url(self):
        return reverse("intel:unmapped_queue") + f"?q={self.ip}"


class AsnAssignment(ScopedModel):
    """ASN → unit: the fallback owner of addresses no registered prefix holds (an ISP's or a unit's own AS)."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="asn_assignments")
    asn = models.PositiveBigIntegerField(_("ASN"), unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["asn"]
        verbose_name = _("ASN assignment")
        verbose_name_plural = _("ASN assignments")

    def __str__(self):
        return f"AS{self.asn}"

    def get_absolute_url(self):
        return reverse("intel:asnassignment_detail", args=[self.pk])


class Indicator(ScopedModel):
    """IoC store: domains, URLs and file hashes from the feeds, with source and expiry."""

    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    value = models.CharField(_("value"), max_length=2000)
    feed = models.ForeignKey(Feed, verbose_name=_("source feed"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="indicators")
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="intel_indicator_unique")]

    def __str__(self):
        return self.value[:100]

    def get_absolute_url(self):
        return reverse("intel:indicator_detail", args=[self.pk])


class Notification(ScopedModel):
    """Delivery log: one row per (unit, import, channel), so nobody is notified twice for the same import."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="intel_notifications")
    feed_import = models.ForeignKey(FeedImport, verbose_name=_("import"), on_delete=models.CASCADE,
                                    related_name="notifications")
    channel = models.CharField(_("channel"), max_length=20, choices=NotificationChannel.choices)
    recipients = models.TextField(_("recipients"), blank=True)
    # Set when the unit declared no contact for the channel and its nearest ancestor's contacts got it.
    via_unit = models.ForeignKey("organizations.Unit", verbose_name=_("sent through"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    attachment_rows = models.PositiveIntegerField(_("rows in the attachment"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    error = models.TextField(_("error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["-created"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["unit", "feed_import", "channel"],
                                               name="intel_notification_once")]

    def __str__(self):
        return self.subject or f"{self.get_channel_display()} · {self.unit}"

    def get_absolute_url(self):
        return reverse("intel:notification_detail", args=[self.pk])
