"""The duty roster (schedules, rotations, overrides, handover notes) and escalation (policies with ordered
rules; a running Escalation with one EscalationStep row per notified step)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import Role
from lachan.core.models import ScopedModel

from .choices import EscalationStatus, Layer, StepTarget, TimeZoneChoice

# Operators keep the roster of their desk; auditors only read.
ROSTER_WRITE_ROLES = frozenset({Role.COORDINATOR, Role.UNIT_ADMIN, Role.UNIT_MEMBER, Role.OPERATOR})


class Schedule(ScopedModel):
    """A duty desk: a unit's, or the coordinator's (no unit; seen by coordinators and auditors only)."""

    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="oncall_schedules",
                             help_text=_("Empty: the coordinator's duty desk"))
    timezone = models.CharField(_("time zone"), max_length=40, choices=TimeZoneChoice.choices,
                                default=TimeZoneChoice.HO_CHI_MINH)
    description = models.TextField(_("description"), blank=True)

    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("duty schedule")
        verbose_name_plural = _("duty schedules")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("oncall:schedule_detail", args=[self.pk])


class Rotation(ScopedModel):
    """Participants taking turns on one daily shift window of a schedule.

    The shift of day D runs from D at ``shift_start`` to ``shift_end`` (the next day when ``shift_end`` is
    not after ``shift_start``; equal times: 24 hours). Participant ``((D - start_date).days //
    length_days) mod n`` holds it. The layer says on which days the rotation applies: regular (every day
    not covered by a higher layer), weekends (Saturday, Sunday) or public holidays and Tết (Vietnam's
    calendar from ``holidays``)."""

    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE,
                                 related_name="rotations")
    name = models.CharField(_("name"), max_length=200)
    layer = models.CharField(_("layer"), max_length=10, choices=Layer.choices, default=Layer.REGULAR)
    start_date = models.DateField(_("first day"), default=timezone.localdate)
    shift_start = models.TimeField(_("shift starts (handover)"), default=dt.time(7, 30))
    shift_end = models.TimeField(_("shift ends"), default=dt.time(19, 30))
    length_days = models.PositiveSmallIntegerField(_("days per turn"), default=1,
                                                   help_text=_("1: a new person every day; 7: weekly turns"))
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, through="RotationMember",
                                          verbose_name=_("participants"), related_name="oncall_rotations")

    scope_unit = "schedule__unit"
    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["schedule", "layer", "shift_start", "name"]
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")

    def __str__(self):
        return f"{self.schedule} · {self.name}"

    def get_absolute_url(self):
        return reverse("oncall:rotation_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.length_days is not None and self.length_days < 1:
            raise ValidationError({"length_days": _("At least one day.")})

    def ordered_participants(self):
        return [m.user for m in self.members.select_related("user").order_by("position", "pk")]


class RotationMember(models.Model):
    """The order of a rotation's participants (reached through the rotation only)."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rotation", "position"]
        constraints = [models.UniqueConstraint(fields=["rotation", "position"], name="oncall_member_position")]


class Override(ScopedModel):
    """Someone takes the duty of a schedule from ``starts`` to ``ends`` (replacing every rotation)."""

    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE,
                                 related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("on duty instead"), on_delete=models.CASCADE,
                             related_name="oncall_overrides")
    starts = models.DateTimeField(_("from"))
    ends = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    scope_unit = "schedule__unit"
    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["-starts"]
        verbose_name = _("duty override")
        verbose_name_plural = _("duty overrides")

    def __str__(self):
        return f"{self.user} · {self.schedule}"

    def get_absolute_url(self):
        return reverse("oncall:override_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": _("The end must come after the start.")})


class Handover(ScopedModel):
    """A note left by the outgoing person for the incoming one."""

    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE,
                                 related_name="handovers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("note"))

    scope_unit = "schedule__unit"
    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["-at"]
        verbose_name = _("handover note")
        verbose_name_plural = _("handover notes")

    def __str__(self):
        return f"{self.schedule} · {timezone.localtime(self.at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self):
        return reverse("oncall:handover_detail", args=[self.pk])


class EscalationPolicy(ScopedModel):
    """Who is paged, in which order, how long each waits for an acknowledgement, how often it repeats."""

    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="oncall_policies",
                             help_text=_("Empty: the coordinator's desk"))
    repeat = models.PositiveSmallIntegerField(_("repeat"), default=0,
                                              help_text=_("How many more times the rules run after the last one"))
    description = models.TextField(_("description"), blank=True)

    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["unit__path", "name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("oncall:escalationpolicy_detail", args=[self.pk])


class EscalationRule(ScopedModel):
    """Step ``position`` of a policy: whom to notify, then how many minutes to wait before the next step."""

    policy = models.ForeignKey(EscalationPolicy, verbose_name=_("policy"), on_delete=models.CASCADE,
                               related_name="rules")
    position = models.PositiveSmallIntegerField(_("step"), default=1)
    target = models.CharField(_("notify"), max_length=20, choices=StepTarget.choices, default=StepTarget.ON_DUTY)
    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    wait_minutes = models.PositiveIntegerField(_("wait (minutes)"), default=5)

    scope_unit = "policy__unit"
    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["policy", "position", "pk"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self):
        return f"{self.policy} · {self.position}: {self.get_target_display()}"

    def get_absolute_url(self):
        return reverse("oncall:escalationrule_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.target == StepTarget.ON_DUTY and self.schedule_id is None:
            raise ValidationError({"schedule": _("Choose the schedule whose on-duty people are notified.")})
        if self.target == StepTarget.USER and self.user_id is None:
            raise ValidationError({"user": _("Choose the user to notify.")})
        if self.wait_minutes is not None and self.wait_minutes < 1:
            raise ValidationError({"wait_minutes": _("At least one minute.")})


class Escalation(ScopedModel):
    """A page in progress (``escalate()``): one per event key, advanced by the minute job until
    acknowledged or every step (and repeat) has been notified."""

    event_key = models.CharField(_("event"), max_length=200, unique=True)
    policy = models.ForeignKey(EscalationPolicy, verbose_name=_("policy"), on_delete=models.PROTECT,
                               related_name="escalations")
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="oncall_escalations")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, default="high")
    source_ref = models.CharField(_("source"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=EscalationStatus.choices,
                              default=EscalationStatus.ACTIVE)
    step = models.PositiveSmallIntegerField(_("current step"), default=0)  # index into the policy's rules
    round = models.PositiveSmallIntegerField(_("round"), default=0)  # 0: first pass, then each repeat
    next_at = models.DateTimeField(_("next step at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    ack_note = models.TextField(_("acknowledgement note"), blank=True)

    scope_write_roles = ROSTER_WRITE_ROLES

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        indexes = [models.Index(fields=["status", "next_at"], name="oncall_escalation_due")]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("oncall:escalation_detail", args=[self.pk])


class EscalationStep(models.Model):
    """The log of an escalation: one row per step notified (reached through its escalation only)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(_("step"))
    round = models.PositiveSmallIntegerField(_("round"))
    at = models.DateTimeField(_("at"))
    target = models.CharField(_("target"), max_length=300)
    notified = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    delivery_ids = models.JSONField(_("deliveries"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["escalation", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["escalation", "round", "step"], name="oncall_step_once")]
