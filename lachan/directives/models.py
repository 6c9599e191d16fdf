"""Directives (issue 3): an official letter → tasks → dispatch to units → answers with evidence → matrix.

Scope (see ``lachan.core.scope``):

- ``Directive`` belongs to its issuing unit (``unit``). It is seen by the issuing unit's subtree and by the
  units it was dispatched to (and their ancestors: a department sees what its schools received). Only the
  issuing side (admins, coordinators) changes it.
- ``Dispatch`` and ``TaskAnswer`` belong to the recipient unit (``unit``): the recipient's subtree sees and
  changes them; the issuing unit's subtree sees them too (read-only), never another recipient.
- ``DirectiveTask`` and ``RecipientMatch`` are parts of the directive document: plain models reached only
  through a directive obtained with ``Directive.objects.restrict()`` (no route of their own).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import ADMIN_ROLES, GLOBAL_VIEW_ROLES
from lachan.core.models import ScopedModel
from lachan.core.scope import VIEW, ScopedQuerySet, _nothing, scope_filter, user_role

from .choices import AnswerStatus, DirectiveStatus, DocType, MatchDecision, TaskTarget


def _user_path(user):
    unit = getattr(user, "unit", None)
    return unit.path if unit is not None else None


class DirectiveQuerySet(ScopedQuerySet):
    def restrict(self, user, action=VIEW):
        base = scope_filter(user, self.model, action)
        if action != VIEW or user_role(user) is None or user_role(user) in GLOBAL_VIEW_ROLES:
            return self.filter(base)
        path = _user_path(user)
        if path is None:
            return self.filter(_nothing())
        received = Dispatch.objects.filter(unit__path__startswith=path).values("directive_id")
        return self.filter(base | Q(pk__in=received))


class ReceivedQuerySet(ScopedQuerySet):
    """Dispatches and answers: the recipient's subtree, plus (view only) the issuing unit's subtree."""

    issuer_lookup = "directive__unit__path__startswith"

    def restrict(self, user, action=VIEW):
        base = scope_filter(user, self.model, action)
        if action != VIEW or user_role(user) is None or user_role(user) in GLOBAL_VIEW_ROLES:
            return self.filter(base)
        path = _user_path(user)
        if path is None:
            return self.filter(_nothing())
        return self.filter(base | Q(**{self.issuer_lookup: path}))


class AnswerQuerySet(ReceivedQuerySet):
    issuer_lookup = "task__directive__unit__path__startswith"


def source_path(instance, filename):
    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"private/directives/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


def evidence_path(instance, filename):
    return f"private/directives/evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"


class Directive(ScopedModel):
    """An imported letter (công văn, kế hoạch …) and what it asks, issued by ``unit`` to its recipients."""

    unit = models.ForeignKey("organizations.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT,
                             related_name="directives")
    doc_type = models.CharField(_("document type"), max_length=20, choices=DocType.choices, default=DocType.CONG_VAN)
    number = models.CharField(_("number"), max_length=100, blank=True)
    number_blank = models.BooleanField(_("number left blank"), default=False)
    issuer = models.CharField(_("issuer"), max_length=300, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    parsed = models.JSONField(_("parsed document"), default=dict, blank=True)
    source_file = models.FileField(_("source file"), upload_to=source_path, max_length=300, blank=True)
    source_name = models.CharField(_("source file name"), max_length=300, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("re-issues"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    status = models.CharField(_("status"), max_length=20, choices=DirectiveStatus.choices,
                              default=DirectiveStatus.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = models.Manager.from_queryset(DirectiveQuerySet)()

    scope_write_roles = ADMIN_ROLES
    detail_hidden_fields = ("parsed", "source_file")

    class Meta:
        ordering = ["-date", "-created"]
        verbose_name = _("directive")
        verbose_name_plural = _("directives")

    def __str__(self):
        return f"{self.number or '?'} · {self.subject[:80]}" if self.subject else (self.number or f"#{self.pk}")

    def get_absolute_url(self):
        return reverse("directives:directive_detail", args=[self.pk])


class DirectiveTask(models.Model):
    """One actionable item of a directive (part of the directive: reached through it, never on its own)."""

    directive = models.ForeignKey(Directive, verbose_name=_("directive"), on_delete=models.CASCADE,
                                  related_name="tasks")
    ordinal = models.PositiveIntegerField(_("order"), default=0)
    section = models.CharField(_("section"), max_length=50, blank=True)
    text = models.TextField(_("text"))
    audience = models.CharField(_("audience"), max_length=500, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    target = models.CharField(_("addressed to"), max_length=10, choices=TaskTarget.choices, default=TaskTarget.ALL)
    target_group = models.ForeignKey("organizations.UnitGroup", verbose_name=_("unit group"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    target_kind = models.CharField(_("unit kind"), max_length=30, blank=True)
    check_key = models.CharField(_("live check"), max_length=50, blank=True)
    # In a re-issued directive: the parent's task this one passes on (the parent's matrix rolls it up).
    source_task = models.ForeignKey("self", verbose_name=_("passes on"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="passed_on")

    class Meta:
        ordering = ["directive", "ordinal", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self):
        return f"{self.ordinal}. {self.text[:80]}"

    def clean(self):
        if self.target == TaskTarget.GROUP and not self.target_group_id:
            raise ValidationError({"target_group": _("Choose the unit group this task is addressed to.")})
        if self.target == TaskTarget.KIND and not self.target_kind:
            raise ValidationError({"target_kind": _("Choose the kind of unit this task is addressed to.")})

    def applies_to(self, unit, group_ids=None):
        """Whether ``unit`` (a recipient) must answer this task; ``group_ids``: the unit's group ids."""
        if self.target == TaskTarget.GROUP:
            ids = group_ids if group_ids is not None else set(unit.groups.values_list("pk", flat=True))
            return self.target_group_id in ids
        if self.target == TaskTarget.KIND:
            return unit.kind == self.target_kind
        return True


class Dispatch(ScopedModel):
    """The directive sent to one recipient unit; the unit acknowledges receipt."""

    directive = models.ForeignKey(Directive, verbose_name=_("directive"), on_delete=models.CASCADE,
                                  related_name="dispatches")
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("recipient unit"), on_delete=models.PROTECT,
                             related_name="directive_dispatches")
    note = models.CharField(_("note"), max_length=300, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("dispatched by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    objects = models.Manager.from_queryset(ReceivedQuerySet)()

    class Meta:
        ordering = ["-created", "unit__path"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        constraints = [models.UniqueConstraint(fields=["directive", "unit"], name="directives_dispatch_once")]

    def __str__(self):
        return f"{self.directive.number or self.directive_id} → {self.unit}"

    def get_absolute_url(self):
        return reverse("directives:dispatch_detail", args=[self.pk])


class TaskAnswer(ScopedModel):
    """One unit's answer to one task: status, note, evidence file (SHA-256 kept)."""

    task = models.ForeignKey(DirectiveTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="answers")
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="directive_answers")
    status = models.CharField(_("status"), max_length=20, choices=AnswerStatus.choices,
                              default=AnswerStatus.NOT_STARTED, db_index=True)
    reason = models.CharField(_("reason (not applicable)"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence file"), upload_to=evidence_path, max_length=300, blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=300, blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    evidence_size = models.BigIntegerField(_("evidence size (bytes)"), default=0)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reminded_before_at = models.DateTimeField(_("reminded before the deadline"), null=True, blank=True)
    reminded_after_at = models.DateTimeField(_("reminded after the deadline"), null=True, blank=True)

    objects = models.Manager.from_queryset(AnswerQuerySet)()

    detail_hidden_fields = ("evidence",)

    class Meta:
        ordering = ["task__ordinal", "unit__path"]
        verbose_name = _("task answer")
        verbose_name_plural = _("task answers")
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="directives_answer_once")]

    def __str__(self):
        return f"{self.unit} · {self.task.ordinal}. {self.task.text[:60]}"

    def get_absolute_url(self):
        return reverse("directives:taskanswer_detail", args=[self.pk])

    @property
    def is_overdue(self):
        deadline = self.task.deadline
        return bool(deadline and deadline < timezone.localdate()
                    and self.status not in (AnswerStatus.DONE, AnswerStatus.NOT_APPLICABLE))


class RecipientMatch(models.Model):
    """A recipient name of the letter ("Kính gửi" or appendix) and the unit it was matched to or proposed for."""

    directive = models.ForeignKey(Directive, verbose_name=_("directive"), on_delete=models.CASCADE,
                                  related_name="recipient_matches")
    name = models.CharField(_("name in the letter"), max_length=500)
    group = models.CharField(_("appendix group"), max_length=300, blank=True)
    suggested = models.ForeignKey("organizations.Unit", verbose_name=_("suggested unit"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    score = models.FloatField(_("score"), default=0)
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("chosen unit"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(_("decision"), max_length=20, choices=MatchDecision.choices,
                                default=MatchDecision.PENDING)

    class Meta:
        ordering = ["directive", "pk"]
        verbose_name = _("recipient match")
        verbose_name_plural = _("recipient matches")
        constraints = [models.UniqueConstraint(fields=["directive", "name"], name="directives_match_once")]

    def __str__(self):
        return self.name
