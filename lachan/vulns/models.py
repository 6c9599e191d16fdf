"""Vulnerability warnings → findings per unit, system and host → fixed and verified (issue 7).

Scope:
- ``Advisory``, ``AdvisoryImport``, ``SoftwareAlias``, ``SlaPolicy`` and ``WarningCampaign`` are global
  (``scope_unit = None``): everyone reads them, coordinators write them. A campaign's per-unit answers are
  ``CampaignAnswer`` rows, which belong to a unit.
- ``Finding`` and ``ScanImport`` belong to a unit.

Writes go through ``services`` only; nothing here has side effects in ``save()``.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.accounts.choices import Role
from lachan.core.models import ScopedModel

from .choices import AnswerStatus, FindingStatus, ImportStatus, Severity

COORDINATOR_ONLY = frozenset({Role.COORDINATOR})


class Advisory(ScopedModel):
    """One CVE, merged across the sources that described it (NVD, CVE 5, CISA KEV, national lists)."""

    cve_id = models.CharField(_("CVE"), max_length=30, unique=True)
    description = models.TextField(_("description"), blank=True)
    published = models.DateTimeField(_("published"), null=True, blank=True)
    last_modified = models.DateTimeField(_("last modified"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=50, blank=True)
    cvss_version = models.CharField(_("CVSS version"), max_length=5, blank=True)
    base_score = models.FloatField(_("CVSS base score"), null=True, blank=True)
    vector = models.CharField(_("CVSS vector"), max_length=300, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO,
                                db_index=True)
    metrics = models.JSONField(_("CVSS metrics"), default=list, blank=True)
    cwes = models.JSONField(_("CWE"), default=list, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    # ``records.Advisory.applicability()`` merged across the sources: what the matcher reads.
    applicability = models.JSONField(_("applicability"), default=dict, blank=True)
    kev = models.BooleanField(_("known exploited (KEV)"), default=False, db_index=True)
    kev_date_added = models.DateField(_("added to KEV on"), null=True, blank=True)
    kev_due_date = models.DateField(_("KEV due date"), null=True, blank=True)
    kev_known_ransomware = models.BooleanField(_("used by ransomware"), default=False)
    kev_required_action = models.TextField(_("KEV required action"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    # {source: the source's record as JSON}: merging is recomputed from these, so any import order gives
    # the same advisory; ``content_hash`` of the merged parts lets a re-import skip unchanged rows.
    parts = models.JSONField(default=dict, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY
    detail_hidden_fields = ("metrics", "applicability", "references")

    class Meta:
        ordering = ["-published", "cve_id"]
        verbose_name = _("advisory")
        verbose_name_plural = _("advisories")
        indexes = [
            models.Index(fields=["-published"], name="vulns_adv_published"),
            models.Index(fields=["kev", "severity"], name="vulns_adv_kev_sev"),
        ]

    def __str__(self):
        return self.cve_id

    def get_absolute_url(self):
        return reverse("vulns:advisory_detail", args=[self.pk])


class AdvisoryImport(ScopedModel):
    """One advisory file imported (the same file again — same SHA-256 — changes nothing)."""

    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.DONE)
    created_count = models.PositiveIntegerField(pgettext_lazy("count", "created"), default=0)
    updated_count = models.PositiveIntegerField(pgettext_lazy("count", "updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    error = models.TextField(_("error"), blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["-started"]
        verbose_name = _("advisory import")
        verbose_name_plural = _("advisory imports")

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("vulns:advisoryimport_detail", args=[self.pk])


class SoftwareAlias(ScopedModel):
    """A free-text inventory name ("Apache HTTP Server") → the CPE vendor/product it means (apache:http_server),
    confirmed by a coordinator. Keys are ``matching.normalise_name`` of the inventory's vendor and product."""

    vendor = models.CharField(_("vendor (normalised)"), max_length=200)
    product = models.CharField(_("product (normalised)"), max_length=200)
    cpe_vendor = models.CharField(_("CPE vendor"), max_length=200)
    cpe_product = models.CharField(_("CPE product"), max_length=200)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["vendor", "product"]
        verbose_name = _("software alias")
        verbose_name_plural = _("software aliases")
        constraints = [models.UniqueConstraint(fields=["vendor", "product"], name="vulns_alias_unique")]

    def __str__(self):
        return f"{self.vendor} {self.product} → {self.cpe_vendor}:{self.cpe_product}"

    def get_absolute_url(self):
        return reverse("vulns:softwarealias_detail", args=[self.pk])


class SlaPolicy(ScopedModel):
    """Days to fix a finding. The seeded row holds DEFAULTS the coordinator edits (data, not code):
    critical 7 / high 15 / medium 30 / low 90 days; a KEV finding gets min(KEV due date, 7 days); systems of
    security level 4–5 get half the time (factor 0.5). The due date is first seen + days × level factor,
    at least one day."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("The active policy with the lowest id applies."))
    critical_days = models.PositiveIntegerField(_("critical (days)"), default=7)
    high_days = models.PositiveIntegerField(_("high (days)"), default=15)
    medium_days = models.PositiveIntegerField(_("medium (days)"), default=30)
    low_days = models.PositiveIntegerField(_("low (days)"), default=90)
    info_days = models.PositiveIntegerField(_("info (days)"), null=True, blank=True,
                                            help_text=_("Empty: no deadline for informational findings."))
    kev_days = models.PositiveIntegerField(_("known exploited (days)"), default=7)
    kev_use_catalog_due = models.BooleanField(_("use the KEV catalog's due date when earlier"), default=True)
    level_1_factor = models.FloatField(_("factor for security level 1"), default=1.0)
    level_2_factor = models.FloatField(_("factor for security level 2"), default=1.0)
    level_3_factor = models.FloatField(_("factor for security level 3"), default=1.0)
    level_4_factor = models.FloatField(_("factor for security level 4"), default=0.5)
    level_5_factor = models.FloatField(_("factor for security level 5"), default=0.5)

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY

    class Meta:
        ordering = ["id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("vulns:slapolicy_detail", args=[self.pk])


class ScanImport(ScopedModel):
    """One scanner file (Nessus, OpenVAS, Nuclei, Trivy, Nmap) imported for one unit."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="scan_imports")
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("format"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    error = models.TextField(_("error"), blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    hosts = models.PositiveIntegerField(_("hosts"), default=0)
    findings = models.PositiveIntegerField(_("findings"), default=0)
    new = models.PositiveIntegerField(_("new findings"), default=0)
    updated_count = models.PositiveIntegerField(_("updated findings"), default=0)
    closed = models.PositiveIntegerField(_("closed findings"), default=0)
    reopened = models.PositiveIntegerField(_("reopened findings"), default=0)
    unknown_hosts_count = models.PositiveIntegerField(_("unknown hosts"), default=0)
    # [{"ip", "hostname", "os", "findings", "added"}]: hosts of the scan not in the inventory (proposals).
    unknown_hosts = models.JSONField(_("unknown hosts list"), default=list, blank=True)
    stored_path = models.CharField(max_length=500, blank=True, editable=False)  # the upload, for the job

    detail_hidden_fields = ("unknown_hosts",)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("scan import")
        verbose_name_plural = _("scan imports")
        indexes = [models.Index(fields=["unit", "-created"], name="vulns_scan_unit_created")]

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("vulns:scanimport_detail", args=[self.pk])


class Finding(ScopedModel):
    """One vulnerability on one software item or host of a unit, tracked to the fix.

    ``key`` is unique per unit: for a match the software id and the CVE, for a scan the scanner's
    ``ScanFinding.key()`` plus the inventory host (so two hosts never merge). ``timeline`` keeps the
    status changes ({at, by, from, to, note}); the audit log keeps the rest."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="findings")
    system = models.ForeignKey("inventory.InformationSystem", verbose_name=_("information system"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="findings")
    host = models.ForeignKey("inventory.Host", verbose_name=_("host"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="findings")
    software = models.ForeignKey("inventory.Software", verbose_name=_("software"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="findings")
    advisory = models.ForeignKey(Advisory, verbose_name=_("advisory"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="findings")
    cve_id = models.CharField(_("CVE"), max_length=30, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=20, db_index=True)  # "match" or the scanner's name
    rule_id = models.CharField(_("rule"), max_length=300, blank=True)
    title = models.CharField(_("title"), max_length=500)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO)
    cvss = models.FloatField(_("CVSS"), null=True, blank=True)
    kev = models.BooleanField(_("known exploited (KEV)"), default=False)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    protocol = models.CharField(_("protocol"), max_length=300, blank=True)
    component = models.CharField(_("component"), max_length=300, blank=True)
    installed_version = models.CharField(_("installed version"), max_length=200, blank=True)
    fixed_version = models.CharField(_("fixed version"), max_length=200, blank=True)
    target = models.CharField(_("target"), max_length=500, blank=True)
    # The address (or name) the scanner reported: the host's identity until it is in the inventory.
    address = models.CharField(_("scanned address"), max_length=255, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    key = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    uncertain = models.BooleanField(_("to be confirmed"), default=False,
                                    help_text=_("The versions could not be compared: a person must confirm."))
    reason = models.CharField(_("match reason"), max_length=500, blank=True)
    risk_reason = models.TextField(_("reason (risk acceptance / false positive)"), blank=True)
    risk_approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    risk_expires_on = models.DateField(_("risk accepted until"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="vuln_findings")
    scan_import = models.ForeignKey(ScanImport, verbose_name=_("last scan"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    timeline = models.JSONField(_("timeline"), default=list, blank=True, editable=False)

    detail_hidden_fields = ("evidence", "solution")

    class Meta:
        ordering = ["-kev", "due_date", "-cvss"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["unit", "key"], name="vulns_finding_key_per_unit")]
        indexes = [
            models.Index(fields=["unit", "status"], name="vulns_find_unit_status"),
            models.Index(fields=["status", "due_date"], name="vulns_find_status_due"),
            models.Index(fields=["host", "source", "status"], name="vulns_find_host_src"),
            models.Index(fields=["software", "status"], name="vulns_find_software"),
            models.Index(fields=["advisory", "status"], name="vulns_find_advisory"),
        ]

    def __str__(self):
        return f"{self.cve_id or self.rule_id} · {self.title[:80]}"

    def get_absolute_url(self):
        return reverse("vulns:finding_detail", args=[self.pk])


class WarningCampaign(ScopedModel):
    """A warning of the Department or the national authority, tracked as a campaign: every unit with a
    finding of one of its CVEs is affected and must answer (acknowledged / patched / not affected)."""

    number = models.CharField(_("number"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=500)
    issuer = models.CharField(_("issuer"), max_length=300, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    cve_ids = models.JSONField(_("CVEs"), default=list, blank=True)
    # ``records.WarningItem`` dicts: CVE and/or vendor/product/versions as the letter lists them.
    items = models.JSONField(_("items"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    scope_unit = None
    scope_write_roles = COORDINATOR_ONLY
    detail_hidden_fields = ("items", "cve_ids")

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("warning campaign")
        verbose_name_plural = _("warning campaigns")

    def __str__(self):
        return f"{self.number} · {self.title}" if self.number else self.title

    def get_absolute_url(self):
        return reverse("vulns:warningcampaign_detail", args=[self.pk])


def evidence_path(answer, filename):
    return f"vulns/campaigns/{answer.campaign_id}/{answer.unit_id}/{filename}"


class CampaignAnswer(ScopedModel):
    """One unit's answer to a campaign; ``affected``/``open_findings`` are recomputed from the findings."""

    campaign = models.ForeignKey(WarningCampaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="answers")
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="campaign_answers")
    status = models.CharField(_("answer"), max_length=20, choices=AnswerStatus.choices, default=AnswerStatus.PENDING)
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence file"), upload_to=evidence_path, blank=True, max_length=300)
    affected = models.BooleanField(_("affected"), default=False)
    open_findings = models.PositiveIntegerField(_("open findings"), default=0)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    detail_hidden_fields = ("evidence",)  # a download link instead of the stored path

    class Meta:
        ordering = ["campaign", "unit__path"]
        verbose_name = _("campaign answer")
        verbose_name_plural = _("campaign answers")
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="vulns_answer_once_per_unit")]

    def __str__(self):
        return f"{self.campaign} · {self.unit}"

    def get_absolute_url(self):
        return reverse("vulns:campaignanswer_detail", args=[self.pk])
