from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.choices import Severity  # noqa: F401  (the shared scale, re-exported)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram")
    WEBHOOK = "webhook", _("Webhook")
    APPRISE = "apprise", _("Other service (Apprise URL)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    RETRY = "retry", _("Failed, will retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


# Ascending here (info 0 … critical 4): a preference's minimum severity is compared with "<".
SEVERITY_RANK = {value: rank for rank, value in enumerate(reversed(Severity.values))}

# Rows a worker may claim (a retry only once its next_attempt_at has passed).
CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.RETRY)
