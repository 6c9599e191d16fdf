"""Notification preferences of users and the delivery log (one row per event, channel and target)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.accounts.choices import Role
from lachan.core.models import ScopedModel

from .choices import Channel, DeliveryStatus, Severity

COORDINATOR_ONLY = frozenset({Role.COORDINATOR})
# Every signed-in role keeps its own preferences (the views only ever show the user's own rows).
EVERY_ROLE = frozenset(Role.values)


class NotificationPreference(ScopedModel):
    """How one user wants to be reached: a channel, its target, which events and when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    target = models.CharField(_("address"), max_length=500,
                              help_text=_("E-mail address, Telegram chat id, webhook URL or Apprise URL"))
    enabled = models.BooleanField(_("enabled"), default=True)
    min_severity = models.CharField(_("minimum severity"), max_length=10, choices=Severity.choices,
                                    default=Severity.INFO)
    event_kinds = models.CharField(_("event kinds"), max_length=500, blank=True,
                                   help_text=_("Comma-separated, e.g. oncall.page, incident; empty: every kind"))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    secret = models.CharField(_("webhook signing secret"), max_length=200, blank=True,
                              help_text=_("Webhooks: the body is signed with HMAC-SHA256 in X-LaChan-Signature"))

    scope_unit = "user__unit"
    scope_write_roles = EVERY_ROLE
    detail_hidden_fields = ("secret", "target")

    class Meta:
        ordering = ["user__username", "channel", "target"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "channel", "target"], name="notify_preference_once")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.display_target}"

    def get_absolute_url(self):
        return reverse("notify:notificationpreference_detail", args=[self.pk])

    @property
    def kinds(self):
        return [k.strip() for k in self.event_kinds.split(",") if k.strip()]

    @property
    def display_target(self):
        from .addresses import redact

        return redact(self.channel, self.target)


class Delivery(ScopedModel):
    """One message of one event to one target on one channel. Unique per (event_key, channel, target): a
    second ``send`` of the same event finds the row and sends nothing; workers claim a row with a
    conditional UPDATE before sending, so two workers never deliver it twice."""

    event_key = models.CharField(_("event"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    target = models.CharField(_("target"), max_length=500)
    unit = models.ForeignKey("organizations.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="notify_deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="notify_deliveries")
    preference = models.ForeignKey(NotificationPreference, verbose_name=_("preference"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="deliveries")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    # [{"name", "mimetype", "content" (base64)}]; kept so that a retry sends the same files.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)

    scope_write_roles = COORDINATOR_ONLY
    detail_hidden_fields = ("attachments", "target", "preference")

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["event_key", "channel", "target"], name="notify_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]

    def __str__(self):
        return f"{self.subject} → {self.display_target}"

    def get_absolute_url(self):
        return reverse("notify:delivery_detail", args=[self.pk])

    @property
    def display_target(self):
        from .addresses import redact

        return redact(self.channel, self.target)

    @property
    def attachment_names(self):
        return [a.get("name", "") for a in self.attachments or ()]
