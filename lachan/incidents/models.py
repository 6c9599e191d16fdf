"""Incidents (issue 6): the case, its timeline, comments, evidence, indicators and reporting deadlines.

Scope (see ``lachan.core.scope``):

- ``Incident`` belongs to the reporting unit (``unit``): its subtree sees and changes it; coordinators and
  auditors see all. The on-duty operator (role ``operator``) may file and work incidents in its scope too.
- ``IncidentComment`` and ``IncidentEvidence`` belong to their incident's unit (``incident__unit``); they have
  their own routes (list, detail, evidence download) so the isolation sweep covers them.
- ``IncidentEvent`` (timeline), ``IncidentIndicator`` and ``IncidentDeadline`` are parts of the incident: plain
  models reached only through an incident obtained with ``Incident.objects.restrict()``.
- ``ReportingRule`` is global reference data (every user reads, coordinators edit).

Writes go through ``services``; nothing here has side effects in ``save()``.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import WRITE_ROLES, Role
from lachan.core.models import ScopedModel
from lachan.inventory.choices import SecurityLevel

from . import taxonomy
from .choices import EventKind, IncidentStatus, IndicatorType, RuleAppliesTo, RuleKind, Severity, Source

INCIDENT_WRITE_ROLES = WRITE_ROLES | {Role.OPERATOR}
CHILD_SCOPE = "incident__unit"
# Decision 05/2017/QĐ-TTg: a serious incident hits a system of security level 4 or 5 and …
SERIOUS_LEVELS = (4, 5)
SERIOUS_CRITERIA = ("crit_disruption", "crit_data_leak", "crit_data_unrecoverable", "crit_loss_of_control",
                    "crit_wide_impact")


def evidence_path(instance, filename):
    return f"private/incidents/evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"


class Incident(ScopedModel):
    """One incident as the initial report form (Circular 20/2017/TT-BTTTT, form 03) describes it."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("reporting unit"), on_delete=models.PROTECT,
                             related_name="incidents")
    title = models.CharField(_("title"), max_length=300)
    incident_type = models.CharField(_("incident type"), max_length=30, choices=taxonomy.choices(),
                                     default=taxonomy.DEFAULT, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM,
                                db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW,
                              db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    # The object the incident comes from ("monitoring.alert:42"): no foreign key, the source may be any app.
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True, db_index=True)
    # Reporter (form 03, part 1)
    reporter_name = models.CharField(_("reporter's name"), max_length=200, blank=True)
    reporter_position = models.CharField(_("reporter's position"), max_length=200, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=50, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    # Affected system (part 2): from the inventory, or described when it is not there
    system = models.ForeignKey("inventory.InformationSystem", verbose_name=_("affected system"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="incidents")
    system_name = models.CharField(_("affected system (not in the inventory)"), max_length=300, blank=True)
    security_level = models.PositiveSmallIntegerField(
        _("security level (not in the inventory)"), choices=SecurityLevel.choices, null=True, blank=True,
        help_text=_("Only when the affected system is not in the inventory; otherwise the inventory's level counts."))
    domains_ips = models.TextField(_("domain names and IP addresses"), blank=True)
    providers = models.TextField(_("security service and connectivity providers"), blank=True)
    # The incident (part 3)
    description = models.TextField(_("short description"))
    detected_at = models.DateTimeField(_("detected at"), db_index=True)
    current_status = models.TextField(_("current status"), blank=True)
    detection_method = models.TextField(_("how it was detected"), blank=True)
    notified_parties = models.TextField(_("already notified"), blank=True)
    os_info = models.TextField(_("operating systems"), blank=True)
    services_info = models.TextField(_("services running"), blank=True)
    security_measures = models.TextField(_("security measures in place"), blank=True)
    support_requested = models.TextField(_("support requested"), blank=True)
    confidential = models.BooleanField(_("confidential"), default=False)
    personal_data_breach = models.BooleanField(
        _("personal data breach"), default=False,
        help_text=_("Personal data was leaked or lost (Decree 13/2023/NĐ-CP: notify within 72 hours)."))
    # Decision 05/2017/QĐ-TTg criteria; ``serious`` is computed by the services (or overridden by a coordinator)
    crit_disruption = models.BooleanField(_("operation disrupted or stopped"), default=False)
    crit_data_leak = models.BooleanField(_("secret or important data leaked"), default=False)
    crit_data_unrecoverable = models.BooleanField(_("data lost and not recoverable"), default=False)
    crit_loss_of_control = models.BooleanField(_("control of the system lost"), default=False)
    crit_wide_impact = models.BooleanField(_("wide impact (many systems, units or people)"), default=False)
    serious = models.BooleanField(_("serious incident"), default=False, editable=False, db_index=True)
    serious_override = models.BooleanField(_("serious flag set by a coordinator"), null=True, editable=False)
    serious_override_reason = models.TextField(_("reason for the override"), blank=True, editable=False)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    # Optimistic concurrency: every write carries the version it read (conditional UPDATE in services).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    scope_write_roles = INCIDENT_WRITE_ROLES

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self):
        return f"#{self.pk} {self.title}" if self.pk else self.title

    def get_absolute_url(self):
        return reverse("incidents:incident_detail", args=[self.pk])

    @property
    def type_info(self):
        return taxonomy.get(self.incident_type)

    @property
    def effective_security_level(self):
        if self.system_id is not None and self.system is not None:
            return self.system.security_level
        return self.security_level

    @property
    def serious_computed(self):
        """The flag by the Decision 05/2017 criteria alone (level 4–5 system AND at least one criterion)."""
        return (self.effective_security_level in SERIOUS_LEVELS
                and any(getattr(self, name) for name in SERIOUS_CRITERIA))

    @property
    def is_open(self):
        return self.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


class IncidentEvent(models.Model):
    """One entry of an incident's timeline: who did what when (edits keep their field diffs)."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    message = models.TextField(_("message"), blank=True)
    # {field: [old, new]} for edits; {"from": …, "to": …} for transitions
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version after the event"), default=0)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


class IncidentComment(ScopedModel):
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="comments")
    body = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", editable=False)

    scope_unit = CHILD_SCOPE
    scope_write_roles = INCIDENT_WRITE_ROLES

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("incident comment")
        verbose_name_plural = _("incident comments")

    def __str__(self):
        return f"{self.incident_id} · {self.body[:60]}"

    def get_absolute_url(self):
        return reverse("incidents:incidentcomment_detail", args=[self.pk])


class IncidentEvidence(ScopedModel):
    """A file kept as evidence: stored privately under a random name, type decided by its content, SHA-256 kept."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=300)
    file_type = models.CharField(_("file type"), max_length=20)
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)

    scope_unit = CHILD_SCOPE
    scope_write_roles = INCIDENT_WRITE_ROLES
    detail_hidden_fields = ("file",)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("incidents:incidentevidence_detail", args=[self.pk])


class IncidentIndicator(models.Model):
    """An indicator of compromise seen in the incident. Shareable kinds (domain, URL, hashes) of a
    non-confidential incident are also written to the IoC store (``intel.Indicator``, ``indicator``)."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="indicators")
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2000)
    note = models.CharField(_("note"), max_length=500, blank=True)
    indicator = models.ForeignKey("intel.Indicator", verbose_name=_("IoC store entry"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="incident_indicators")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("incident indicator")
        verbose_name_plural = _("incident indicators")
        constraints = [models.UniqueConstraint(fields=["incident", "kind", "value"], name="incident_ioc_once")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value[:100]}"


class ReportingRule(ScopedModel):
    """A reporting duty, editable data (seeded by a migration): per incident, ``hours`` after detection for the
    incidents it ``applies_to``; or a periodic report due each year on ``month``/``day``."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices, default=RuleKind.INCIDENT)
    applies_to = models.CharField(_("applies to"), max_length=20, choices=RuleAppliesTo.choices,
                                  default=RuleAppliesTo.ALL)
    hours = models.PositiveIntegerField(_("hours after detection"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    recipient = models.CharField(_("report to"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    scope_unit = None
    scope_write_roles = frozenset({Role.COORDINATOR})

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("reporting rule")
        verbose_name_plural = _("reporting rules")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:reportingrule_detail", args=[self.pk])

    def clean(self):
        if self.kind == RuleKind.INCIDENT and not self.hours:
            raise ValidationError({"hours": _("Give the number of hours after detection.")})
        if self.kind == RuleKind.PERIODIC:
            import datetime

            try:
                datetime.date(2024, self.month or 0, self.day or 0)  # a leap year: 29/02 is a valid day
            except (TypeError, ValueError):
                raise ValidationError({"day": _("Give a valid day and month.")}) from None

    def applies(self, incident):
        if self.kind != RuleKind.INCIDENT or not self.is_active:
            return False
        if self.applies_to == RuleAppliesTo.SERIOUS:
            return incident.serious
        if self.applies_to == RuleAppliesTo.PERSONAL_DATA:
            return incident.personal_data_breach
        return True


class IncidentDeadline(models.Model):
    """One reporting clock of one incident (from a ``ReportingRule``); ``done_at`` stops it."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="deadlines")
    rule = models.ForeignKey(ReportingRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(_("due at"), db_index=True)
    done_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent at"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("reporting deadline")
        verbose_name_plural = _("reporting deadlines")
        constraints = [models.UniqueConstraint(fields=["incident", "rule"], name="incident_deadline_once")]

    def __str__(self):
        return f"{self.rule} · {self.due_at:%Y-%m-%d %H:%M}"

    def is_overdue(self, now=None):
        return self.done_at is None and self.due_at < (now or timezone.now())

    def time_left(self, now=None):
        return self.due_at - (now or timezone.now())


# --- escalation reports, playbooks, emergency response plans (issue 6, part 3) --------------------------------


def report_path(instance, filename):
    return f"private/incidents/reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.docx"


def plan_path(instance, filename):
    return f"private/incidents/plans/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"


class IncidentReport(ScopedModel):
    """One initial report (form 03) sent to national bodies: what was sent to whom, when, by whom. The DOCX is
    kept privately with its SHA-256; the e-mail's delivery status is read from the notification delivery log
    (``notify.Delivery`` rows of ``event_key``)."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="reports")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", editable=False)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    # [{"name", "email", "contact": id or null}]
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    note = models.TextField(_("note"), blank=True)
    file = models.FileField(_("report file"), upload_to=report_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    # [{"evidence": id, "file_name", "sha256", "size"}]
    attachments = models.JSONField(_("evidence attached"), default=list, blank=True)
    incident_version = models.PositiveIntegerField(_("incident version reported"), default=1)
    event_key = models.CharField(_("notification event"), max_length=200, blank=True, db_index=True)

    scope_unit = CHILD_SCOPE
    scope_write_roles = INCIDENT_WRITE_ROLES
    detail_hidden_fields = ("file",)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("incidents:incidentreport_detail", args=[self.pk])

    @property
    def recipient_emails(self):
        return [r.get("email", "") for r in self.recipients or ()]

    def deliveries(self):
        from lachan.notify.models import Delivery

        if not self.event_key:
            return Delivery.objects.none()
        return Delivery.objects.filter(event_key=self.event_key).order_by("pk")

    @property
    def delivery_status(self):
        """"sent" when every e-mail went out, "failed" when one finally failed, else "pending"."""
        statuses = {d.status for d in self.deliveries()}
        if not statuses:
            return "pending"
        if "failed" in statuses:
            return "failed"
        if statuses <= {"sent"}:
            return "sent"
        return "pending"


class IncidentPlaybook(models.Model):
    """A playbook (``playbook_data``) attached to an incident; its steps are copied so that later edits of the
    playbook data do not rewrite what was ticked. Reached only through an incident (``restrict()`` on it)."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="playbooks")
    key = models.SlugField(_("playbook"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now)
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("attached by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["attached_at", "pk"]
        verbose_name = _("incident playbook")
        verbose_name_plural = _("incident playbooks")
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="incident_playbook_once")]

    def __str__(self):
        return self.title

    def progress(self):
        """(done, total) from the prefetched/related steps."""
        steps = list(self.steps.all())
        return sum(1 for s in steps if s.done_at is not None), len(steps)


class IncidentPlaybookStep(models.Model):
    playbook = models.ForeignKey(IncidentPlaybook, verbose_name=_("playbook"), on_delete=models.CASCADE,
                                 related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    phase = models.CharField(_("phase"), max_length=30)
    text = models.TextField(_("step"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["playbook", "order"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        constraints = [models.UniqueConstraint(fields=["playbook", "order"], name="playbook_step_order_once")]

    def __str__(self):
        return f"{self.order}. {self.text[:80]}"

    @property
    def phase_name(self):
        from .playbook_data import PHASES

        return dict(PHASES).get(self.phase, self.phase)


class ResponsePlan(ScopedModel):
    """A unit's emergency response plan ("kế hoạch, phương án ứng cứu khẩn cấp"): the approved document
    (PDF/DOCX, type decided by content, SHA-256 kept) and its review cycle. ``next_review_on`` is computed by
    ``plans.plan_save`` (approved on + review every N months)."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="response_plans")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    file = models.FileField(_("document"), upload_to=plan_path, max_length=300)
    file_name = models.CharField(_("file name"), max_length=300, editable=False)
    file_type = models.CharField(_("file type"), max_length=20, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0, editable=False)
    approved_on = models.DateField(_("approved on"))
    review_months = models.PositiveSmallIntegerField(_("review every (months)"), default=12)
    next_review_on = models.DateField(_("next review on"), editable=False, db_index=True)
    is_active = models.BooleanField(_("in force"), default=True,
                                    help_text=_("Clear when a newer plan replaces this one."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)

    detail_hidden_fields = ("file",)

    class Meta:
        ordering = ["next_review_on", "pk"]
        verbose_name = _("emergency response plan")
        verbose_name_plural = _("emergency response plans")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("incidents:responseplan_detail", args=[self.pk])

    def review_overdue(self, today=None):
        return self.is_active and self.next_review_on < (today or timezone.localdate())
